"""Lambda's data plane: execution environments that speak the Lambda Runtime API."""
