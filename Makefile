.PHONY: demo test check compose-smoke
demo:  ## install, index the demo corpus on first use, answer a sample question
	scripts/demo
test:  ## install what the tests need, lint, type-check and run the whole suite
	scripts/test
check:  ## lint and type-check only
	scripts/check
compose-smoke:  ## build the images, run the whole stack in Docker, ask through Slack and Matrix, tear down (PROFILE=cpu-llm: with llama.cpp)
	scripts/compose-smoke $(PROFILE)
