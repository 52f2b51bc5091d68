#!/usr/bin/env bash
# A Lambda proxy API: one greedy resource /{proxy+} with ANY, integrated with AWS_PROXY, so the
# function sees every request whole (payload format 1.0) and answers the HTTP response itself.
#
#   AWS_ENDPOINT_URL=http://localhost:4566 ./lambda_proxy.sh
#
# Prints the invoke URL on its last line; try  curl <url>/pets/1
set -euo pipefail

source "$(dirname "$0")/common.sh"
suffix="${SUFFIX:-$RANDOM}"

# 1. The function.
function_arn=$(create_pets_function "pets-proxy-$suffix")

# 2. The API: /{proxy+} with ANY, integrated with the function as AWS_PROXY.
api_id=$(aws apigateway create-rest-api --name "pets-proxy-$suffix" --query id --output text)
root_id=$(root_resource_id "$api_id")
proxy_id=$(aws apigateway create-resource --rest-api-id "$api_id" --parent-id "$root_id" \
  --path-part '{proxy+}' --query id --output text)
aws apigateway put-method --rest-api-id "$api_id" --resource-id "$proxy_id" --http-method ANY \
  --authorization-type NONE >/dev/null
aws apigateway put-integration --rest-api-id "$api_id" --resource-id "$proxy_id" --http-method ANY \
  --type AWS_PROXY --integration-http-method POST \
  --uri "arn:aws:apigateway:${AWS_DEFAULT_REGION}:lambda:path/2015-03-31/functions/${function_arn}/invocations" >/dev/null

# 3. Let API Gateway invoke the function, then deploy.
allow_apigateway "pets-proxy-$suffix" "$api_id" "*/*/*"
aws apigateway create-deployment --rest-api-id "$api_id" --stage-name prod >/dev/null

invoke_url "$api_id" prod
