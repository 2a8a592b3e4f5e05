"""HTTP entrypoints of the issues service: thin routes over the application and read models."""
