from manyeyes.cli.main import main

raise SystemExit(main())
