import sys

from hourbook.commands.cli import main

sys.exit(main())
