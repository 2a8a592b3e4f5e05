"""The web console: one origin for the browser, serving the single-page app and passing
`/api/<service>/…` through to the four services."""
