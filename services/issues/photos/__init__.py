"""Photos residents and handlers take with their phones (issue 10: "photos" when reporting,
"progress with photos"): image bytes kept by the issues service beside its event store, never
in it. Events name a photo by its URL only (docs/console-issues.md, "Photos")."""
