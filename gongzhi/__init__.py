"""The `gongzhi` command: start the platform, mint tokens, seed the demo city, rebuild."""
