from sikap.cli import main

main()
