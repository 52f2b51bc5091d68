"""CreateEventSourceMapping, GetEventSourceMapping, ListEventSourceMappings,
UpdateEventSourceMapping and DeleteEventSourceMapping, and the pollers they start and stop.

An operation answers with the state its change passes through (Creating, Enabling, Disabling,
Updating, Deleting; 202 as the model says) and the mapping reaches its resting state (Enabled,
Disabled, or gone) right after, on the event loop, as Lambda's do within seconds (LocalStack's
AWS-validated dynamodbstreams snapshots: Creating on create, Disabling on an update with
Enabled=false, Enabled in a later list). A change interrupted by a restart is completed at start.

A function's deletion leaves its mappings in place (DeleteFunction's documentation: delete them
with DeleteEventSourceMapping); they report "PROBLEM: Function not found: <arn>" as their last
processing result and resume if a function of that name comes back.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import uuid
from typing import Any

from overcast.protocol.errors import ServiceError
from overcast.server.context import RequestContext
from overcast.services.lambda_.common import LATEST, LambdaBase
from overcast.services.lambda_.errors import InvalidParameterValue, ResourceConflict, ResourceNotFound
from overcast.services.lambda_.event_sources.dynamodb_streams import DynamoDBStreamSource
from overcast.services.lambda_.event_sources.mapping import DELETING, DISABLED, ENABLED, Mapping
from overcast.services.lambda_.event_sources.poller import MappingPoller
from overcast.services.lambda_.event_sources.sources import EventSource
from overcast.services.lambda_.event_sources.store import MappingStore
from overcast.services.lambda_.event_sources.validation import (
    check_destination,
    check_record_age,
    check_starting_position,
    filter_patterns,
    settings_for_create,
    settings_for_update,
)
from overcast.services.lambda_.settings import check_tag_count
from overcast.services.lambda_.validation import parse_function_ref
from overcast.services.lambda_.versions import paginate

log = logging.getLogger("overcast.lambda.event_sources")

# ListEventSourceMappings answers at most 100 mappings a page, whatever MaxItems asks (its
# documentation), and 100 when MaxItems is not given.
LIST_PAGE = 100


class MissingMapping(ResourceNotFound):
    def __init__(self) -> None:
        super().__init__("The resource you requested does not exist.")


class UnsupportedSource(ServiceError):
    """A source AWS accepts but Overcast cannot read yet (Kinesis, SQS, Kafka, MQ, DocumentDB)."""

    code = "NotImplemented"
    status = 501
    sender_fault = False


def source_service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if arn.startswith("arn:") and len(parts) > 5 else ""


def readable_source(arn: str) -> str | None:
    """The adapter key for a source Overcast can read (None for others)."""
    service = source_service(arn)
    if service == "dynamodb" and "/stream/" in arn:
        return "dynamodb"
    return None


# The source adapters by the kind of source they read; Kinesis and SQS become entries here.
ADAPTERS = {"dynamodb": DynamoDBStreamSource}


class EventSourceMappingOps(LambdaBase):
    # -- life (called from Provider.start and stop) ----------------------------------------------

    def start_event_sources(self) -> None:
        self.esm_store = MappingStore(self.db)
        self.mappings: dict[str, Mapping] = {}
        self._pollers: dict[str, MappingPoller] = {}
        self._settling: set[asyncio.Task] = set()
        self._settle_locks: dict[str, asyncio.Lock] = {}
        unsettled = []
        for _, doc in self.esm_store.load():
            mapping = Mapping.from_doc(doc)
            self.mappings[mapping.uuid] = mapping
            if mapping.state != mapping.settled_state or mapping.settled_state == DELETING:
                unsettled.append(mapping.uuid)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        # Changes a restart interrupted are completed; enabled mappings resume from their checkpoints.
        for mapping_id in unsettled:
            self._settle_soon(mapping_id)
        for mapping in list(self.mappings.values()):
            if mapping.uuid not in unsettled and mapping.enabled:
                self._start_poller(mapping)

    def stop_event_sources(self) -> None:
        for poller in list(getattr(self, "_pollers", {}).values()):
            poller.cancel()
        for task in list(getattr(self, "_settling", ())):
            task.cancel()

    def _source(self, mapping_or_arn: Mapping | str, account: str, region: str) -> EventSource:
        arn = mapping_or_arn if isinstance(mapping_or_arn, str) else mapping_or_arn.event_source_arn
        adapter = ADAPTERS[readable_source(arn) or ""]
        return adapter(arn, self.runtime.internal, self.db, account, region)

    def _start_poller(self, mapping: Mapping) -> None:
        if mapping.uuid in self._pollers:
            return
        poller = MappingPoller(mapping, self._source(mapping, mapping.account, mapping.region), self.esm_store,
                               self.runtime.internal, self.clock, self._report, self.config.endpoint_url)
        self._pollers[mapping.uuid] = poller
        poller.start()

    async def _stop_poller(self, mapping_id: str) -> None:
        poller = self._pollers.pop(mapping_id, None)
        if poller is not None:
            await poller.stop()

    async def _report(self, mapping: Mapping, result: str) -> None:
        if mapping.last_processing_result != result and mapping.uuid in self.mappings:
            mapping.last_processing_result = result
            await self._save(mapping)

    async def _save(self, mapping: Mapping) -> None:
        await self.esm_store.put(mapping.uuid, mapping.account, mapping.region, mapping.created, mapping.to_doc())

    def _settle_soon(self, mapping_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._settle(mapping_id))
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    async def _settle(self, mapping_id: str) -> None:
        """Bring a mapping to the state its last change leads to, starting or stopping its poller."""
        # One change at a time per mapping: a poller being stopped finishes its batch before a
        # later change may start another one on the same shards.
        lock = self._settle_locks.setdefault(mapping_id, asyncio.Lock())
        async with lock:
            await self._settle_now(mapping_id)
        if mapping_id not in self.mappings:
            self._settle_locks.pop(mapping_id, None)

    async def _settle_now(self, mapping_id: str) -> None:
        mapping = self.mappings.get(mapping_id)
        if mapping is None:
            return
        try:
            if mapping.settled_state == DELETING:
                await self._stop_poller(mapping_id)
                await self.esm_store.delete(mapping_id)
                self.mappings.pop(mapping_id, None)
                return
            if mapping.enabled:
                poller = self._pollers.get(mapping_id)
                if poller is None:
                    self._start_poller(mapping)
                else:
                    poller.wake()  # settings changed: they apply from the next batch
            else:
                await self._stop_poller(mapping_id)
            mapping.state = mapping.settled_state
            await self._save(mapping)
        except Exception:
            log.exception("event source mapping %s could not settle", mapping_id)

    # -- lookups --------------------------------------------------------------------------------

    def _mapping(self, ctx: RequestContext, mapping_id: str) -> Mapping:
        mapping = self.mappings.get(mapping_id)
        if mapping is None or (mapping.account, mapping.region) != (ctx.account_id, ctx.region):
            raise MissingMapping()
        return mapping

    def _target_function(self, ctx: RequestContext, function_name: str) -> str:
        """The function ARN a mapping invokes, qualified when the name carries a version or alias;
        "Function does not exist" when there is none (AWS's words, quoted in terraform-provider-aws
        #22373; LocalStack's AWS-validated provider answers the same)."""
        ref = parse_function_ref(function_name)
        account, region = ref.account or ctx.account_id, ref.region or ctx.region
        record = self.store.get(account, region, ref.name)
        qualifier = ref.qualifier
        # A mapping invokes a function of its own account and Region only: it is the function's
        # own trigger, and its poller would otherwise call another account's function unasked.
        if (account, region) != (ctx.account_id, ctx.region) or record is None or (
                qualifier not in (None, LATEST) and qualifier not in record.versions
                and qualifier not in record.aliases):
            raise InvalidParameterValue("Function does not exist")
        arn = f"arn:aws:lambda:{region}:{account}:function:{ref.name}"
        return f"{arn}:{qualifier}" if qualifier else arn

    # -- operations -----------------------------------------------------------------------------

    async def create_event_source_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        source_arn = params.get("EventSourceArn")
        if not source_arn:
            raise InvalidParameterValue("Unrecognized event source.")
        service = source_service(source_arn)
        if readable_source(source_arn) is None:
            if service in ("kinesis", "sqs", "kafka", "mq", "rds", "docdb"):
                raise UnsupportedSource(f"Overcast does not read {service} event sources yet; "
                                        "it reads DynamoDB streams.")
            # AWS's answer for a source it cannot read (quoted in boto3 #634 and many since).
            raise InvalidParameterValue("Unrecognized event source, must be kinesis, dynamodb stream or sqs. "
                                        f"Unsupported source arn : {source_arn}")
        check_starting_position(params, source_arn)
        check_record_age(params)
        check_destination(params)
        filter_patterns(params.get("FilterCriteria"))
        check_tag_count(params.get("Tags") or {})
        function_arn = self._target_function(ctx, params["FunctionName"])
        source = self._source(source_arn, ctx.account_id, ctx.region)
        if not await source.check_exists():
            raise InvalidParameterValue(f"Stream not found: {source_arn}")
        for other in self.mappings.values():
            if other.function_arn == function_arn and other.event_source_arn == source_arn \
                    and other.settled_state != DELETING:
                # AWS's words (LocalStack's AWS-validated test_duplicate_event_source_mappings).
                raise ResourceConflict(f'The event source arn (" {source_arn} ") and function (" '
                                       f'{parse_function_ref(params["FunctionName"]).name} ") provided mapping '
                                       f"already exists. Please update or delete the existing mapping with UUID "
                                       f"{other.uuid}")
        settings = settings_for_create(params)
        now = self.clock.time()
        enabled = params.get("Enabled", True) is not False
        mapping = Mapping(uuid=str(uuid.uuid4()), account=ctx.account_id, region=ctx.region, created=now,
                          function_arn=function_arn, event_source_arn=source_arn, settings=settings,
                          state="Creating", settled_state=ENABLED if enabled else DISABLED, last_modified=now,
                          tags=dict(params.get("Tags") or {}))
        # Held from here, before anything is awaited: a concurrent create of the same pair meets
        # it in the duplicate check above (two mappings would deliver every record twice).
        self.mappings[mapping.uuid] = mapping
        try:
            if settings["StartingPosition"] == "LATEST":
                # LATEST is the stream's end when the mapping is created: records written after this
                # answer are delivered (Lambda's own start is a few seconds later, with no such promise).
                for shard, position in (await source.latest_positions()).items():
                    await self.esm_store.save_checkpoint(mapping.uuid, shard, position)
            await self._save(mapping)
        except BaseException:
            self.mappings.pop(mapping.uuid, None)
            raise
        self._settle_soon(mapping.uuid)
        return mapping.describe()

    async def get_event_source_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._mapping(ctx, params["UUID"]).describe()

    async def list_event_source_mappings(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        wanted_source = params.get("EventSourceArn")
        wanted_function = None
        if params.get("FunctionName"):
            ref = parse_function_ref(params["FunctionName"])
            wanted_function = (f"arn:aws:lambda:{ref.region or ctx.region}:{ref.account or ctx.account_id}:"
                               f"function:{ref.name}" + (f":{ref.qualifier}" if ref.qualifier else ""))
        items = [m.describe() for m in sorted(self.mappings.values(), key=lambda m: (m.created, m.uuid))
                 if (m.account, m.region) == (ctx.account_id, ctx.region)
                 and (wanted_source is None or m.event_source_arn == wanted_source)
                 and (wanted_function is None or m.function_arn == wanted_function)]
        paging = dict(params)
        paging.setdefault("MaxItems", LIST_PAGE)
        return paginate(items, paging, "EventSourceMappings", page_cap=LIST_PAGE)

    async def update_event_source_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        mapping = self._mapping(ctx, params["UUID"])
        check_record_age(params)
        check_destination(params)
        filter_patterns(params.get("FilterCriteria"))
        function_arn = self._target_function(ctx, params["FunctionName"]) if params.get("FunctionName") else None
        settings = settings_for_update(mapping.settings, params)
        # Everything is checked: from here on the change is made.
        if function_arn is not None:
            mapping.function_arn = function_arn
        mapping.settings = settings
        if params.get("Enabled") is not None and params["Enabled"] != mapping.enabled:
            mapping.settled_state = ENABLED if params["Enabled"] else DISABLED
            mapping.state = "Enabling" if params["Enabled"] else "Disabling"
        else:
            mapping.state = "Updating"
        mapping.last_modified = self.clock.time()
        await self._save(mapping)
        answer = mapping.describe()
        self._settle_soon(mapping.uuid)
        return answer

    # -- tags on mappings (functions' tags are SettingsOps') -------------------------------------

    def _tagged_mapping(self, ctx: RequestContext, resource: str) -> Mapping | None:
        if ":event-source-mapping:" not in resource:
            return None
        mapping = self.mappings.get(resource.rsplit(":", 1)[1])
        if mapping is None or mapping.arn != resource:
            raise MissingMapping()
        return mapping

    async def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        mapping = self._tagged_mapping(ctx, params["Resource"])
        if mapping is None:
            return await super().tag_resource(ctx, params)  # type: ignore[misc]  # SettingsOps', later in the MRO
        check_tag_count({**mapping.tags, **(params.get("Tags") or {})})
        mapping.tags.update(params.get("Tags") or {})
        await self._save(mapping)
        return {}

    async def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        mapping = self._tagged_mapping(ctx, params["Resource"])
        if mapping is None:
            return await super().untag_resource(ctx, params)  # type: ignore[misc]  # SettingsOps', later in the MRO
        for key in params.get("TagKeys") or []:
            mapping.tags.pop(key, None)
        await self._save(mapping)
        return {}

    async def list_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        mapping = self._tagged_mapping(ctx, params["Resource"])
        if mapping is None:
            return await super().list_tags(ctx, params)  # type: ignore[misc]  # SettingsOps', later in the MRO
        return {"Tags": dict(mapping.tags)}

    async def delete_event_source_mapping(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        mapping = self._mapping(ctx, params["UUID"])
        mapping.state = mapping.settled_state = DELETING
        await self._save(mapping)
        answer = copy.deepcopy(mapping.describe())
        self._settle_soon(mapping.uuid)
        return answer
