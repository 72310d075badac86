import sys

from streetorder.cli import main

sys.exit(main())
