from gnnprop.cli import main

main()
