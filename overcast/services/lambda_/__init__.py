"""AWS Lambda: the control plane (functions, versions, aliases, layers, policies) and, under
runtime/, the data plane that runs function code in forked or spawned processes."""
