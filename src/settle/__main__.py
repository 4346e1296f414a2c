from settle.cli import main

main()
