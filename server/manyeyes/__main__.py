from manyeyes.cli import main

raise SystemExit(main())
