"""`python -m sftlab.cli ...`, for launchers such as `accelerate launch -m sftlab.cli train`."""

from sftlab.cli import main

main()
