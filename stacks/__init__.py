"""The instructor's pipeline behind the ``stacks`` command."""
