"""What the tests and the benchmarks share: fakes of the core's ports, the recording Slack fake,
real servers to start (llama.cpp, Synapse) and a Matrix clinician. Not shipped."""
