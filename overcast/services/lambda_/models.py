"""Lambda's records. A function is one document: $LATEST, its published versions and aliases,
its policy, tags and invoke settings (a function's versions are few and always read together)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CodeInfo:
    blob_id: str
    sha256: str  # base64 of the SHA-256 digest, as CodeSha256 reports it
    size: int

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FunctionRecord:
    account: str
    region: str
    name: str
    config: dict[str, Any]  # $LATEST's FunctionConfiguration as stored
    code: CodeInfo
    tags: dict[str, str] = field(default_factory=dict)
    # Resource-policy statements by qualifier ("" for the unqualified function).
    policy: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    policy_revision: str = ""  # no longer used (a policy's RevisionId is its target's); kept for stored documents
    reserved_concurrency: int | None = None
    event_invoke_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_version: int = 1
    # Published versions: "1" -> {"config": {...}, "code": {...}}
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Provisioned concurrency by qualifier (an alias or a version):
    # {"Requested": n, "LastModified": "..."}; what is allocated lives in the pool.
    provisioned_concurrency: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Runtime update mode by version ({"UpdateRuntimeOn": ..., "RuntimeVersionArn": ...}); Auto when absent.
    runtime_management: dict[str, dict[str, Any]] = field(default_factory=dict)
    recursive_loop: str = "Terminate"  # Lambda's default for recursive loop detection
    code_signing_config_arn: str = ""  # the code signing configuration it uses, if any

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> FunctionRecord:
        doc = dict(doc)
        doc["code"] = CodeInfo(**doc["code"])
        return cls(**doc)


@dataclass
class LayerVersion:
    account: str
    region: str
    name: str
    version: int
    doc: dict[str, Any]  # GetLayerVersion's output, plus "code" (CodeInfo doc) and "policy"

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:layer:{self.name}"


@dataclass
class FunctionUrl:
    url_id: str  # the first label of the URL's host
    account: str
    region: str
    name: str  # the function's name
    qualifier: str  # "" for the unqualified function, else an alias name
    doc: dict[str, Any]  # GetFunctionUrlConfig's output as stored
