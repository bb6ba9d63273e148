from symres.cli import main

raise SystemExit(main())
