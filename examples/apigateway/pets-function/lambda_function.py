"""A small pet store behind API Gateway, written to work both ways:

- as a Lambda proxy integration (AWS_PROXY): it gets the whole HTTP request as the event and
  answers {statusCode, headers, body};
- as a non-proxy integration (AWS): it gets what the request mapping template built
  ({"action": ..., "id": ...}) and returns plain data, or raises an error whose message the
  integration responses map to a status code with selectionPattern.
"""

import json

PETS = {"1": {"id": "1", "name": "Mittens", "kind": "cat"}, "2": {"id": "2", "name": "Rex", "kind": "dog"}}


def proxy(event):
    parts = [p for p in (event.get("path") or "/").split("/") if p]
    if event["httpMethod"] == "GET" and parts == ["pets"]:
        return respond(200, list(PETS.values()))
    if event["httpMethod"] == "GET" and len(parts) == 2 and parts[0] == "pets":
        pet = PETS.get(parts[1])
        return respond(200, pet) if pet else respond(404, {"message": f"no pet {parts[1]}"})
    if event["httpMethod"] == "POST" and parts == ["pets"]:
        pet = json.loads(event.get("body") or "{}")
        return respond(201, {**pet, "id": "3"})
    return respond(404, {"message": f"nothing at {event['httpMethod']} {event['path']}"})


def respond(status, body):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def lambda_handler(event, context):
    if "httpMethod" in event and "requestContext" in event:
        return proxy(event)
    pet_id = str(event.get("id") or "")
    if event.get("action") == "get":
        if pet_id not in PETS:
            raise Exception(f"NotFound: no pet {pet_id}")
        return PETS[pet_id]
    if event.get("action") == "list":
        return list(PETS.values())
    raise Exception(f"BadRequest: unknown action {event.get('action')}")
