"""The hello-world function from AWS's getting-started tutorial."""

import json


def lambda_handler(event, context):
    print(f"Hello from {context.function_name}: {json.dumps(event)}")
    name = event.get("name", "world")
    return {"statusCode": 200, "body": json.dumps({"message": f"Hello, {name}!"})}
