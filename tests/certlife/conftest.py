from tests.certlife.hostile_input import offline, one_of_everything  # noqa: F401  (fixtures)
