#!/usr/bin/env bash
# A Lambda proxy API: one greedy resource /{proxy+} with ANY, integrated with AWS_PROXY, so the
# function sees every request whole (payload format 1.0) and answers the HTTP response itself.
#
#   AWS_ENDPOINT_URL=http://localhost:4566 ./lambda_proxy.sh
#
# Prints the invoke URL on its last line; try  curl <url>/pets/1
set -euo pipefail

: "${AWS_ENDPOINT_URL:=http://localhost:4566}"
export AWS_ENDPOINT_URL AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
here="$(cd "$(dirname "$0")" && pwd)"
suffix="${SUFFIX:-$RANDOM}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The function.
(cd "$here/pets-function" && python3 -m zipfile -c "$work/pets.zip" lambda_function.py)
function_arn=$(aws lambda create-function --function-name "pets-proxy-$suffix" --runtime python3.12 \
  --handler lambda_function.lambda_handler --role arn:aws:iam::000000000000:role/lambda-role \
  --zip-file "fileb://$work/pets.zip" --query FunctionArn --output text)
aws lambda wait function-active-v2 --function-name "pets-proxy-$suffix"

# 2. The API: /{proxy+} with ANY, integrated with the function as AWS_PROXY.
api_id=$(aws apigateway create-rest-api --name "pets-proxy-$suffix" --query id --output text)
root_id=$(aws apigateway get-resources --rest-api-id "$api_id" --query 'items[?path==`/`].id' --output text)
proxy_id=$(aws apigateway create-resource --rest-api-id "$api_id" --parent-id "$root_id" \
  --path-part '{proxy+}' --query id --output text)
aws apigateway put-method --rest-api-id "$api_id" --resource-id "$proxy_id" --http-method ANY \
  --authorization-type NONE >/dev/null
aws apigateway put-integration --rest-api-id "$api_id" --resource-id "$proxy_id" --http-method ANY \
  --type AWS_PROXY --integration-http-method POST \
  --uri "arn:aws:apigateway:${AWS_DEFAULT_REGION}:lambda:path/2015-03-31/functions/${function_arn}/invocations" >/dev/null

# 3. Let API Gateway invoke the function, then deploy.
aws lambda add-permission --function-name "pets-proxy-$suffix" --statement-id apigateway \
  --action lambda:InvokeFunction --principal apigateway.amazonaws.com \
  --source-arn "arn:aws:execute-api:${AWS_DEFAULT_REGION}:000000000000:${api_id}/*/*/*" >/dev/null
aws apigateway create-deployment --rest-api-id "$api_id" --stage-name prod >/dev/null

host="${AWS_ENDPOINT_URL#*://}"
echo "http://${api_id}.execute-api.localhost:${host##*:}/prod"
