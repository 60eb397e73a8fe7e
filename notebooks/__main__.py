import sys

from notebooks.execute import main

sys.exit(main())
