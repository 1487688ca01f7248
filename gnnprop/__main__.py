from gnnprop._entry import main

main()
