from archport.cli import main

main()
