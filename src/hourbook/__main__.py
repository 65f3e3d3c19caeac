import sys

from hourbook.cli import main

sys.exit(main())
