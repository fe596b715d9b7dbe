import sys

from meetbot.cli import main

sys.exit(main())
