"""The VTL layer: each $input/$util function and the Java-style behaviour, with the outputs AWS
documents in its mapping template reference."""

from __future__ import annotations

import json

import pytest

from overcast.services.apigateway.invoke import vtl

BODY = json.dumps({"name": "Mittens", "tags": ["cat", "cute"], "owner": {"id": 7, "vip": True},
                   "pets": [{"id": 1, "price": 10.5}, {"id": 2, "price": 20}]})
PARAMS = {"path": {"petId": "7"}, "querystring": {"q": "fluffy", "petId": "shadowed"},
          "header": {"Content-Type": "application/json", "X-Trace": "abc"}}


def render(template: str, body: str = BODY, params=PARAMS, **variables) -> str:
    return vtl.render(template, {"input": vtl.InputVariable(body, params), "context": {}, "stageVariables": {},
                                 **variables})


def test_input_body_is_the_raw_payload():
    assert render("$input.body") == BODY


def test_input_json_returns_json_text():
    assert render("$input.json('$.owner')") == '{"id":7,"vip":true}'
    assert render("$input.json('$.name')") == '"Mittens"'
    assert render("$input.json('$.pets[0].price')") == "10.5"
    assert render("$input.json('$')") == json.dumps(json.loads(BODY), separators=(",", ":"))


def test_input_path_returns_objects():
    assert render("$input.path('$.name')") == "Mittens"
    assert render("$input.path('$.tags').size()") == "2"
    assert render("$input.path('$.owner.id')") == "7"
    assert render("$input.path('$.owner.vip')") == "true"  # Java's Boolean
    assert render("$input.path('$.owner')") == "{id=7, vip=true}"  # Java's Map.toString
    assert render("$input.path('$.tags')") == "[cat, cute]"  # Java's List.toString
    assert render("$input.path('$.pets[*].id')") == "[1, 2]"
    assert render("$input.path('$.pets[-1].id')") == "2"


def test_aws_documented_pets_example():
    # The "Pet store" example of AWS's mapping template reference.
    template = """#set($inputRoot = $input.path('$'))
[
#foreach($elem in $inputRoot.pets)
  {"id": $elem.id, "price": $elem.price}#if($foreach.hasNext),#end
#end
]"""
    assert json.loads(render(template)) == [{"id": 1, "price": 10.5}, {"id": 2, "price": 20}]


def test_input_params():
    # path, then query string, then header, as AWS searches them
    assert render("$input.params('petId')") == "7"
    assert render("$input.params('q')") == "fluffy"
    assert render("$input.params('X-Trace')") == "abc"
    assert render("$input.params('x-trace')") == "abc"
    assert render("[$input.params('absent')]") == "[]"
    assert render("$input.params().querystring.q") == "fluffy"
    assert render("$input.params().path.get('petId')") == "7"
    assert render("#foreach($k in $input.params().path.keySet())$k#end") == "petId"


def test_util_escape_javascript():
    assert render("$util.escapeJavaScript($input.path('$.s'))", json.dumps({"s": "it's \"quoted\"\n/\\"})) == \
        "it\\'s \\\"quoted\\\"\\n\\/\\\\"
    assert render("$util.escapeJavaScript($input.path('$.s'))", json.dumps({"s": "é"})) == "\\u00E9"


def test_util_parse_json():
    template = """#set($o = $util.parseJson($input.path('$.inner')))$o.a $o.list.get(1) $o.list.size()"""
    assert render(template, json.dumps({"inner": '{"a": "x", "list": [1, 2]}'})) == "x 2 2"


def test_util_url_encode_and_decode():
    assert render("$util.urlEncode('a b&c=d/é~*')") == "a+b%26c%3Dd%2F%C3%A9%7E*"
    assert render("$util.urlDecode('a+b%26c%3Dd')") == "a b&c=d"


def test_util_base64():
    assert render("$util.base64Encode('Hello, World!')") == "SGVsbG8sIFdvcmxkIQ=="
    assert render("$util.base64Decode('SGVsbG8sIFdvcmxkIQ==')") == "Hello, World!"
    assert render("$util.base64Decode('SGVsbG8sIFdvcmxkIQ')") == "Hello, World!"  # unpadded, as Java's decoder takes it


def test_context_and_stage_variables():
    out = vtl.render("$context.stage $context.identity.sourceIp $stageVariables.color",
                     {"input": vtl.InputVariable("", PARAMS), "context": {"stage": "dev", "identity": {"sourceIp": "1.2.3.4"}},
                      "stageVariables": {"color": "blue"}})
    assert out == "dev 1.2.3.4 blue"


def test_set_if_else_foreach_break():
    template = """#set($n = 0)#foreach($i in [1, 2, 3, 4, 5])#if($i == 4)#break#end#set($n = $n + $i)#end$n"""
    assert render(template) == "6"
    assert render("#if($input.path('$.name') == 'Mittens')yes#{else}no#end") == "yes"
    assert render("#if($input.path('$.owner.id') > 5)big#elseif(true)small#end") == "big"


def test_break_only_leaves_the_inner_loop():
    template = "#foreach($a in [1, 2])#foreach($b in [1, 2, 3])#if($b == 2)#break#end$a$b #end#end"
    assert render(template) == "11 21 "


def test_undefined_references_render_empty():
    assert render('{"a": "$nothing", "b": "$input.path(\'$.missing\')", "c": "$context.authorizer.claims"}') == \
        '{"a": "", "b": "", "c": ""}'
    assert render("$!{nothing}x") == "x"


def test_java_string_methods():
    assert render("$input.path('$.name').toUpperCase()") == "MITTENS"
    assert render("$input.path('$.name').substring(0, 3)") == "Mit"
    assert render("$input.path('$.name').length()") == "7"
    assert render("$input.path('$.name').contains('tt')") == "true"
    assert render("$input.path('$.name').replaceAll('t+', 'T')") == "MiTens"
    assert render("$input.path('$.name').split('t+')") == "[Mi, ens]"
    assert render("$input.path('$.name').indexOf('t')") == "2"
    assert render("$input.path('$.name').equalsIgnoreCase('MITTENS')") == "true"


def test_java_map_and_list_methods():
    template = """#set($m = {"a": 1})#set($x = $m.put("b", 2))$m.size() $m.containsKey("b") $m
#set($l = [3, 4, 5])#set($x = $l.remove(0))$l $l.isEmpty() $l.indexOf(5)"""
    assert render(template) == "2 true {a=1, b=2}\n[4, 5] false 1"


def test_syntax_error_is_a_template_error():
    with pytest.raises(vtl.TemplateError):
        render("#foreach($x in")


PASSTHROUGH = """##  See http://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
#set($allParams = $input.params())
{
"body-json" : $input.json('$'),
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
},
"stage-variables" : {
#foreach($key in $stageVariables.keySet())
"$key" : "$util.escapeJavaScript($stageVariables.get($key))"
    #if($foreach.hasNext),#end
#end
},
"context" : {
    "http-method" : "$context.httpMethod",
    "source-ip" : "$context.identity.sourceIp",
    "user-arn" : "$context.identity.userArn",
    "request-id" : "$context.requestId",
    "resource-path" : "$context.resourcePath"
    }
}
"""


def test_console_method_request_passthrough_template():
    # The console's "Method Request passthrough" template renders to JSON holding every part.
    out = vtl.render(PASSTHROUGH, {
        "input": vtl.InputVariable('{"a": [1, 2]}', PARAMS),
        "context": {"httpMethod": "POST", "identity": {"sourceIp": "10.0.0.1", "userArn": None},
                    "requestId": "r-1", "resourcePath": "/pets/{petId}"},
        "stageVariables": {"color": "blue"}})
    document = json.loads(out)
    assert document["body-json"] == {"a": [1, 2]}
    assert document["params"] == {"path": {"petId": "7"}, "querystring": {"q": "fluffy", "petId": "shadowed"},
                                  "header": {"Content-Type": "application/json", "X-Trace": "abc"}}
    assert document["stage-variables"] == {"color": "blue"}
    assert document["context"] == {"http-method": "POST", "source-ip": "10.0.0.1", "user-arn": "",
                                   "request-id": "r-1", "resource-path": "/pets/{petId}"}


def test_hash_before_a_reference_is_text():
    assert render("#$input.path('$.owner.id') and #1") == "#7 and #1"


FAST_CONTEXT = {"resourcePath": "/pets/{id}", "stage": "dev", "requestTimeEpoch": 1700000000000,
                "identity": {"sourceIp": "127.0.0.1", "userAgent": None}, "authorizer": {"admin": True},
                "requestOverride": {"header": {}}, "error": {}}


@pytest.mark.parametrize("template", [
    '{"statusCode": 200}',
    '{"ok": true, "path": "$context.resourcePath"}',
    "$context.stage-$stageVariables.env $context.requestTimeEpoch $context.authorizer.admin",
    "$context.identity.sourceIp:$context.identity.userAgent.",  # a null, then a trailing dot
    "$context.identity",  # a map, rendered the Java way
    "$context.missing|$stageVariables.missing|$context.identity.nope.deeper",
    "$context.stage.length() $context.resourcePath.toUpperCase()",
    "$!context.stage ${context.stage} $ 5 #set($x = 1)$x",
    "$context.keys",  # not a key: airspeed falls back to the dict's attribute
])
def test_fast_path_renders_as_the_engine_does(template):
    variables = {"input": vtl.InputVariable("", PARAMS), "context": FAST_CONTEXT, "stageVariables": {"env": "test"}}
    engine = vtl.render(template, variables)
    simple = vtl.simple_template(template)
    fast = simple.render(lambda: FAST_CONTEXT, {"env": "test"}) if simple is not None else None
    assert fast is None or fast == engine


def test_fast_path_takes_constant_and_plain_reference_templates():
    assert vtl.simple_template('{"statusCode": 200}').render(dict, {}) == '{"statusCode": 200}'
    assert vtl.simple_template('{"p": "$context.resourcePath"}').render(lambda: FAST_CONTEXT, {}) == '{"p": "/pets/{id}"}'
    for template in ("#set($a = 1)", "$input.body", "\\$context.stage", "$context.stage.length()", "${context.stage}"):
        assert vtl.simple_template(template) is None, template
