"""The commands of `csvlake`, one module each: `add_parser(subparsers)` declares it, `run(args)` runs it."""
