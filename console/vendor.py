"""Copy the built files of the console's npm packages into console/web/vendor/, where the
console and every service's /docs serve them: nothing is loaded from the internet at run time.

Run by `make install` after `npm ci` in console/web (see the Makefile)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

WEB = Path(__file__).parent / "web"
VENDOR = WEB / "vendor"
FILES = {
    "echarts/dist/echarts.min.js": "echarts.min.js",
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui.css",
    "swagger-ui-dist/favicon-32x32.png": "favicon-32x32.png",
}


def main() -> int:
    VENDOR.mkdir(exist_ok=True)
    for source, name in FILES.items():
        path = WEB / "node_modules" / source
        if not path.exists():
            print(f"missing {path}: run `npm ci` in {WEB} first", file=sys.stderr)
            return 1
        shutil.copyfile(path, VENDOR / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
