from hourbook.commands.cli import run

run()
