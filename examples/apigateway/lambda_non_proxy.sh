#!/usr/bin/env bash
# A non-proxy Lambda API: GET /pets/{id} integrated as AWS (not AWS_PROXY). A request mapping
# template turns the HTTP request into the function's event; integration responses turn the
# function's answer back into HTTP: the default one renders the pet with a response template,
# and errors are mapped by selectionPattern against the function's errorMessage
# ("NotFound: ..." -> 404, anything else -> 400).
#
#   AWS_ENDPOINT_URL=http://localhost:4566 ./lambda_non_proxy.sh
#
# Prints the invoke URL on its last line; try  curl <url>/pets/1  and  curl <url>/pets/9
set -euo pipefail

source "$(dirname "$0")/common.sh"
suffix="${SUFFIX:-$RANDOM}"

function_arn=$(create_pets_function "pets-$suffix")

api_id=$(aws apigateway create-rest-api --name "pets-$suffix" --query id --output text)
root_id=$(root_resource_id "$api_id")
pets_id=$(aws apigateway create-resource --rest-api-id "$api_id" --parent-id "$root_id" --path-part pets \
  --query id --output text)
pet_id=$(aws apigateway create-resource --rest-api-id "$api_id" --parent-id "$pets_id" --path-part '{id}' \
  --query id --output text)
aws apigateway put-method --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --authorization-type NONE --request-parameters method.request.path.id=true >/dev/null

cat > "$work/request.json" <<'JSON'
{"application/json": "{\n  \"action\": \"get\",\n  \"id\": \"$util.escapeJavaScript($input.params('id'))\",\n  \"requestId\": \"$context.requestId\"\n}"}
JSON
aws apigateway put-integration --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --type AWS --integration-http-method POST \
  --uri "arn:aws:apigateway:${AWS_DEFAULT_REGION}:lambda:path/2015-03-31/functions/${function_arn}/invocations" \
  --request-templates "file://$work/request.json" >/dev/null

for code in 200 400 404; do
  aws apigateway put-method-response --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
    --status-code "$code" >/dev/null
done
cat > "$work/200.json" <<'JSON'
{"application/json": "#set($pet = $input.path('$'))\n{\"pet\": \"$pet.name\", \"kind\": \"$pet.kind\", \"link\": \"/pets/$pet.id\"}"}
JSON
cat > "$work/error.json" <<'JSON'
{"application/json": "{\"error\": \"$util.escapeJavaScript($input.path('$.errorMessage'))\"}"}
JSON
aws apigateway put-integration-response --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --status-code 200 --response-templates "file://$work/200.json" >/dev/null
aws apigateway put-integration-response --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --status-code 404 --selection-pattern 'NotFound:.*' --response-templates "file://$work/error.json" >/dev/null
aws apigateway put-integration-response --rest-api-id "$api_id" --resource-id "$pet_id" --http-method GET \
  --status-code 400 --selection-pattern '.+' --response-templates "file://$work/error.json" >/dev/null

allow_apigateway "pets-$suffix" "$api_id" "*/GET/pets/*"
aws apigateway create-deployment --rest-api-id "$api_id" --stage-name prod >/dev/null

invoke_url "$api_id" prod
