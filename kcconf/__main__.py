from kcconf.cli import main

main()
