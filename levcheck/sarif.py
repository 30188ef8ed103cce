"""The one SARIF 2.1.0 writer: every SARIF log levcheck writes (`analyze --sarif`, `check`'s
levcheck.sarif) is built from these pieces, with one `$schema`, tools that name a real
`informationUri`, and a `partialFingerprints` entry on every result so that code-scanning UIs track
a finding across runs instead of opening a new alert each time.

A bottom-layer module: the analysis layer and the report layer both use it."""
from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import Any

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
VERSION = "2.1.0"
SLITHER_URI = "https://github.com/crytic/slither"
FINGERPRINT_KEY = "levcheck/v1"


def homepage() -> str:
    """levcheck's own informationUri: the Homepage of the installed distribution's metadata."""
    urls = metadata.metadata("levcheck").get_all("Project-URL") or []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "homepage":
            return url.strip()
    raise RuntimeError("the levcheck distribution has no Homepage URL: add [project.urls] Homepage to pyproject.toml")


def fingerprint(*parts: Any) -> str:
    """A stable identity for a result: the same rule at the same place gives the same print."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def tool(name: str, version: str, information_uri: str, rules: list[dict], extensions: list[dict] | None = None) -> dict:
    driver = {"name": name, "version": version, "informationUri": information_uri, "rules": rules}
    out: dict[str, Any] = {"driver": driver}
    if extensions:
        out["extensions"] = extensions
    return out


def rule(id: str, name: str, short: str, full: str = "", help: str = "", level: str = "warning",
         properties: dict | None = None) -> dict:
    r: dict[str, Any] = {
        "id": id,
        "name": name,
        "shortDescription": {"text": short or id},
        "fullDescription": {"text": full or short or id},
        "help": {"text": help or full or short or id},
        "defaultConfiguration": {"level": level},
    }
    if properties:
        r["properties"] = properties
    return r


def location(uri: str, line: int | None = None, logical: str | None = None) -> dict:
    phys: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line:
        phys["region"] = {"startLine": max(int(line), 1)}
    loc: dict[str, Any] = {"physicalLocation": phys}
    if logical:
        loc["logicalLocations"] = [{"fullyQualifiedName": logical, "kind": "function"}]
    return loc


def result(rule_id: str, level: str, message: str, print_: str, locations: list[dict] | None = None,
           rule_index: int | None = None, suppression: str | None = None, properties: dict | None = None) -> dict:
    r: dict[str, Any] = {
        "ruleId": rule_id,
        "level": level,
        "message": {"text": message},
        "partialFingerprints": {FINGERPRINT_KEY: print_},
    }
    if rule_index is not None:
        r["ruleIndex"] = rule_index
    if locations:
        r["locations"] = locations
    if suppression is not None:
        r["suppressions"] = [{"kind": "external", "justification": suppression}]
    if properties:
        r["properties"] = properties
    return r


def run(tool_: dict, results: list[dict], notifications: list[dict] | None = None, successful: bool = True) -> dict:
    return {
        "tool": tool_,
        "invocations": [{"executionSuccessful": successful, "toolExecutionNotifications": notifications or []}],
        "results": results,
    }


def log(runs: list[dict]) -> dict:
    return {"$schema": SCHEMA, "version": VERSION, "runs": runs}


def write(path: str | Path, runs: list[dict]) -> None:
    Path(path).write_text(json.dumps(log(runs), indent=2) + "\n")
