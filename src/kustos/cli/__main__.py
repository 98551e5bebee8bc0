import sys

from kustos.cli import main

sys.exit(main())
