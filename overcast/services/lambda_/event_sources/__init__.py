"""Lambda event source mappings: Lambda reading a stream and invoking a function with batches.

- `control.py`     CreateEventSourceMapping and its siblings (the mixin provider.py takes in)
- `validation.py`  what those operations refuse, in Lambda's words
- `mapping.py`     the mapping record and the answer shapes
- `store.py`       mappings and their per-shard checkpoints, in their own schema namespace
- `poller.py`      one task per enabled mapping: read, filter, invoke, retry, checkpoint
- `filters.py`     FilterCriteria's event-pattern language
- `windows.py`     tumbling windows and the state they carry
- `sources.py`     what a source adapter provides; `dynamodb_streams.py` is the first one
"""
