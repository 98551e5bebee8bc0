import sys

from kustos_read.cli import main

sys.exit(main())
