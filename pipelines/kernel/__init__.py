"""The shared kernel: records, data-directory I/O, configuration, text helpers and the step
runner. It imports no stage; every stage imports it."""
