"""Helpers shared by the test folders: the console script, engines, ports, DR events.

One home for what several test modules need, so a change in how the CLI is
started or an engine is opened is made once. Fixtures that every folder uses
live in tests/conftest.py (``engine`` dogfoods the shipped plugin's
``orderfsm_engine``); the modules here hold plain functions and the fixtures a
module opts into by importing them.
"""
