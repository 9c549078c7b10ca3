//! ARM templates of a factory as a spec source: `ARMTemplateForFactory.json` and
//! `ARMTemplateParametersForFactory.json`, as ADF's publish branch and Microsoft's npm
//! utilities (`@microsoft/azure-data-factory-utilities`) write them.
//!
//! The template's resources become the spec's entities (through the same conversion as an ADF
//! Studio file, [`studio::to_spec`], so both read alike), with the ARM template expressions the
//! publish output writes resolved on the tree: `[parameters('x')]` (the parameters file's
//! value, else the template's `defaultValue`), `[variables('x')]`, `[concat(...)]` of those and
//! of string literals, and `[[` (a literal `[`). Any other expression is reported where it is
//! written. A `secureString` parameter without a value (ADF's publish leaves them empty)
//! becomes `{secretFromEnv: NAME}`, the environment variable of the parameter's name. `dependsOn` is dropped: adfctl orders by the references inside the bodies. The
//! target (subscription, group, factory name) comes from a YAML overlay, as for Studio
//! folders: the template's `factoryName` parameter only names the entities.

use crate::convert::SECRET_FROM_ENV;
use crate::sink::Sink;
use crate::studio::{self, StudioFolder};
use crate::yaml::{Key, Node, Pos, Value};
use adf_core::Kind;
use std::collections::HashMap;

/// The name ADF gives a factory's template.
pub const TEMPLATE_FILE: &str = "ARMTemplateForFactory.json";
/// The name ADF gives the template's parameters file, written beside it.
pub const PARAMETERS_FILE: &str = "ARMTemplateParametersForFactory.json";

/// How deep `variables` may refer to one another and expressions nest.
const MAX_EXPRESSION_DEPTH: usize = 32;

/// How many function calls one template's expressions may make in all (the publish output
/// makes a few per resource), so that variables that double each other cannot hang the reader.
const MAX_EXPRESSION_STEPS: usize = 1_000_000;

/// What a JSON text is, when it is an ARM file adfctl reads: a factory's template (a
/// deployment template with a `Microsoft.DataFactory/factories…` resource) or a deployment
/// parameters file. Looks only at `$schema` and the resources' `type`s.
pub fn detect(text: &str) -> Option<crate::SourceForm> {
    // Files written on Windows may start with a byte-order mark, which JSON parsers refuse.
    let json: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()?;
    let schema = json.get("$schema")?.as_str()?.to_ascii_lowercase();
    if schema.contains("deploymentparameters") {
        return Some(crate::SourceForm::ArmParameters);
    }
    let is_factory = json
        .get("resources")?
        .as_array()?
        .iter()
        .filter_map(|r| r.get("type")?.as_str())
        .any(|t| {
            t.to_ascii_lowercase()
                .starts_with("microsoft.datafactory/factories")
        });
    (schema.contains("deploymenttemplate") && is_factory).then_some(crate::SourceForm::ArmTemplate)
}

/// The values of a parameters file: `parameters.NAME.value`, each with its position.
pub(crate) fn parameter_values(root: &Node, sink: &mut Sink<'_>) -> Vec<(String, Node)> {
    let Some(parameters) = root.get("parameters").and_then(Node::as_map) else {
        sink.error(
            "missing-key",
            root.pos,
            "this ARM parameters file has no `parameters` object",
            Some(format!(
                "{PARAMETERS_FILE} is `{{\"parameters\": {{\"NAME\": {{\"value\": ...}}}}}}`"
            )),
        );
        return Vec::new();
    };
    let mut values = Vec::new();
    for (name, parameter) in parameters {
        match parameter.get("value") {
            Some(value) => values.push((name.text.clone(), value.clone())),
            None if parameter.get("reference").is_some() => sink.error(
                "unsupported-arm",
                parameter.pos,
                format!("parameter `{}` is a Key Vault reference", name.text),
                Some("give its value in the parameters file, or set the field it feeds in a YAML overlay (`secretFromEnv`)".into()),
            ),
            None => sink.error(
                "missing-key",
                parameter.pos,
                format!("parameter `{}` has no `value`", name.text),
                None,
            ),
        }
    }
    values
}

/// An expression's result: a node (a parameter's value keeps its type and position) or text.
enum Evaluated {
    Node(Node),
    Text(String),
    /// A `secureString` parameter without a value (ADF's publish leaves them empty): read
    /// from the environment variable of the parameter's name.
    Secret(String),
}

/// Resolves the template expressions the publish output writes.
struct Resolver<'a> {
    /// Each declared parameter's value (the parameters file's, else the default), if any.
    parameters: HashMap<String, Option<Node>>,
    variables: HashMap<String, &'a Node>,
    /// The `secureString` parameters without a value, or with an empty one.
    empty_secrets: std::collections::HashSet<String>,
    /// Function calls made so far (bounded by [`MAX_EXPRESSION_STEPS`]).
    steps: std::cell::Cell<usize>,
}

impl Resolver<'_> {
    /// Evaluates the expression `text` (without its brackets).
    fn evaluate(&self, text: &str, depth: usize) -> Result<Evaluated, String> {
        if depth > MAX_EXPRESSION_DEPTH {
            return Err(
                "the expression nests too deep (or `variables` refer to each other in a circle)"
                    .into(),
            );
        }
        let mut parser = Parser {
            chars: text.chars().collect(),
            at: 0,
        };
        let call = parser.expression(0)?;
        parser.skip_spaces();
        if parser.at < parser.chars.len() {
            return Err(format!(
                "unexpected `{}` after the expression",
                parser.chars[parser.at..].iter().collect::<String>()
            ));
        }
        self.call(&call, depth)
    }

    fn call(&self, term: &Term, depth: usize) -> Result<Evaluated, String> {
        match term {
            Term::Text(text) => Ok(Evaluated::Text(text.clone())),
            Term::Number(text) => Ok(Evaluated::Text(text.clone())),
            Term::Call(name, args) => {
                self.steps.set(self.steps.get() + 1);
                if self.steps.get() > MAX_EXPRESSION_STEPS {
                    return Err("the template's expressions take too many steps to resolve".into());
                }
                self.call_function(name, args, depth)
            }
        }
    }

    fn call_function(&self, name: &str, args: &[Term], depth: usize) -> Result<Evaluated, String> {
        match (name.to_ascii_lowercase().as_str(), args) {
            ("parameters", [arg]) => {
                let name = self.text(arg, depth)?;
                if self.empty_secrets.contains(&name) {
                    return Ok(Evaluated::Secret(name));
                }
                match self.parameters.get(&name) {
                    Some(Some(value)) => Ok(Evaluated::Node(value.clone())),
                    Some(None) => Err(format!(
                        "parameter `{name}` has no value: neither the parameters file nor the template's `defaultValue` gives one"
                    )),
                    None => Err(format!("the template declares no parameter `{name}`")),
                }
            }
            ("variables", [arg]) => {
                let name = self.text(arg, depth)?;
                let Some(value) = self.variables.get(&name) else {
                    return Err(format!("the template declares no variable `{name}`"));
                };
                match value.as_str() {
                    Some(text) if is_expression(text) => {
                        self.evaluate(&text[1..text.len() - 1], depth + 1)
                    }
                    _ => Ok(Evaluated::Node((*value).clone())),
                }
            }
            ("concat", args) if !args.is_empty() => {
                let mut joined = String::new();
                for arg in args {
                    joined.push_str(&self.text(arg, depth)?);
                    if joined.len() > crate::limits::MAX_FILE_BYTES {
                        return Err("the result is longer than a file may be".into());
                    }
                }
                Ok(Evaluated::Text(joined))
            }
            (other, _) => Err(format!(
                "`{other}(...)` with {} argument(s) is not an expression adfctl resolves",
                args.len()
            )),
        }
    }

    /// A term's value as text (a string, number or boolean).
    fn text(&self, term: &Term, depth: usize) -> Result<String, String> {
        match self.call(term, depth)? {
            Evaluated::Text(text) => Ok(text),
            Evaluated::Secret(name) => Err(format!(
                "secure string parameter `{name}` has no value, and a part of a string cannot come from the environment"
            )),
            Evaluated::Node(node) => match node.value {
                Value::String { text, .. } => Ok(text),
                Value::Number(number) => Ok(number.to_string()),
                Value::Bool(flag) => Ok(flag.to_string()),
                _ => Err(format!(
                    "{} cannot be joined into a string",
                    Node::new(node.value, node.pos).type_name()
                )),
            },
        }
    }

    /// Resolves every expression in `node`, reporting those it cannot.
    fn resolve(&self, node: &mut Node, sink: &mut Sink<'_>) {
        match &mut node.value {
            Value::String { text, .. } if text.starts_with("[[") => {
                text.remove(0);
            }
            Value::String { text, .. } if is_expression(text) => {
                let inner = text[1..text.len() - 1].to_owned();
                match self.evaluate(&inner, 0) {
                    Ok(Evaluated::Node(value)) => *node = value,
                    Ok(Evaluated::Secret(name)) => *node = secret_from_env(&name, node.pos),
                    Ok(Evaluated::Text(text)) => {
                        node.value = Value::String { text, plain: false };
                    }
                    Err(message) => unsupported(sink, node.pos, &inner, message),
                }
            }
            Value::Map(entries) => {
                entries.iter_mut().for_each(|(_, v)| self.resolve(v, sink));
                // `{type: SecureString, value: {secretFromEnv: X}}` is `{secretFromEnv: X}`.
                let secure = node.get("type").and_then(Node::as_str) == Some("SecureString");
                if let Some(value) = node
                    .get("value")
                    .filter(|v| v.get(SECRET_FROM_ENV).is_some())
                    && secure
                {
                    *node = value.clone();
                }
            }
            Value::Seq(items) => items.iter_mut().for_each(|v| self.resolve(v, sink)),
            _ => {}
        }
    }
}

/// The spec's `{secretFromEnv: NAME}`.
fn secret_from_env(name: &str, pos: Pos) -> Node {
    Node::new(
        Value::Map(vec![(
            Key {
                text: SECRET_FROM_ENV.to_owned(),
                pos,
            },
            Node::new(
                Value::String {
                    text: name.to_owned(),
                    plain: false,
                },
                pos,
            ),
        )]),
        pos,
    )
}

fn unsupported(sink: &mut Sink<'_>, pos: Pos, expression: &str, message: String) {
    sink.error(
        "unsupported-arm-expression",
        pos,
        format!("ARM template expression `[{expression}]`: {message}"),
        Some("adfctl resolves `parameters('x')`, `variables('x')` and `concat(...)` of them and of 'strings', as ADF's publish output writes them; write the value itself here, or set this field in a YAML overlay".into()),
    );
}

/// `[...]` and not `[[...` (ARM's escape of a literal `[`).
fn is_expression(text: &str) -> bool {
    text.len() >= 2 && text.starts_with('[') && !text.starts_with("[[") && text.ends_with(']')
}

/// A parsed expression.
enum Term {
    Text(String),
    Number(String),
    Call(String, Vec<Term>),
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn skip_spaces(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn expression(&mut self, depth: usize) -> Result<Term, String> {
        if depth > MAX_EXPRESSION_DEPTH {
            return Err("the expression nests too deep".into());
        }
        self.skip_spaces();
        match self.chars.get(self.at) {
            Some('\'') => {
                self.at += 1;
                let mut text = String::new();
                loop {
                    match self.chars.get(self.at) {
                        Some('\'') if self.chars.get(self.at + 1) == Some(&'\'') => {
                            text.push('\'');
                            self.at += 2;
                        }
                        Some('\'') => {
                            self.at += 1;
                            return Ok(Term::Text(text));
                        }
                        Some(c) => {
                            text.push(*c);
                            self.at += 1;
                        }
                        None => return Err("a string is not closed with `'`".into()),
                    }
                }
            }
            Some(c) if c.is_ascii_digit() || *c == '-' => {
                let start = self.at;
                self.at += 1;
                while self.chars.get(self.at).is_some_and(char::is_ascii_digit) {
                    self.at += 1;
                }
                Ok(Term::Number(self.chars[start..self.at].iter().collect()))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.at;
                while self
                    .chars
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    self.at += 1;
                }
                let name: String = self.chars[start..self.at].iter().collect();
                self.skip_spaces();
                if self.chars.get(self.at) != Some(&'(') {
                    return Err(format!("`{name}` is not a function call"));
                }
                self.at += 1;
                let mut args = Vec::new();
                self.skip_spaces();
                if self.chars.get(self.at) == Some(&')') {
                    self.at += 1;
                    return Ok(Term::Call(name, args));
                }
                loop {
                    args.push(self.expression(depth + 1)?);
                    self.skip_spaces();
                    match self.chars.get(self.at) {
                        Some(',') => self.at += 1,
                        Some(')') => {
                            self.at += 1;
                            break;
                        }
                        Some('.') | Some('[') => {
                            return Err("property and index access are not resolved".into());
                        }
                        _ => return Err(format!("`{name}(` is not closed with `)`")),
                    }
                }
                self.skip_spaces();
                if matches!(self.chars.get(self.at), Some('.') | Some('[')) {
                    return Err("property and index access are not resolved".into());
                }
                Ok(Term::Call(name, args))
            }
            Some(c) => Err(format!("unexpected `{c}`")),
            None => Err("the expression is empty".into()),
        }
    }
}

/// The kind of a resource `type` (case-insensitive, as ARM compares them).
fn kind_of(resource_type: &str) -> Option<Kind> {
    Kind::ALL
        .into_iter()
        .find(|kind| kind.arm_type().eq_ignore_ascii_case(resource_type))
}

/// The spec fragment a factory's ARM template stands for, or `None` (with a diagnostic).
/// `values`: the parameters files' values, by name.
pub(crate) fn to_spec(
    root: Node,
    values: &HashMap<String, Node>,
    sink: &mut Sink<'_>,
) -> Option<Node> {
    let pos = root.pos;
    if root.as_map().is_none() {
        sink.error(
            "not-a-mapping",
            pos,
            format!("an ARM template is one object, not {}", root.type_name()),
            None,
        );
        return None;
    }
    let mut parameters = HashMap::new();
    let mut empty_secrets = std::collections::HashSet::new();
    if let Some(declared) = root.get("parameters").and_then(Node::as_map) {
        for (name, declaration) in declared {
            let value = values
                .get(&name.text)
                .cloned()
                .or_else(|| declaration.get("defaultValue").cloned());
            let secure = declaration
                .get("type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("securestring"));
            if secure && value.as_ref().is_none_or(|v| v.as_str() == Some("")) {
                empty_secrets.insert(name.text.clone());
            }
            parameters.insert(name.text.clone(), value);
        }
    }
    let variables = root
        .get("variables")
        .and_then(Node::as_map)
        .map(|entries| entries.iter().map(|(k, v)| (k.text.clone(), v)).collect())
        .unwrap_or_default();
    let resolver = Resolver {
        parameters,
        variables,
        empty_secrets,
        steps: std::cell::Cell::new(0),
    };
    let Some(resources) = root.get("resources") else {
        sink.error(
            "missing-key",
            pos,
            "this ARM template has no `resources`",
            None,
        );
        return None;
    };
    let Value::Seq(resources) = &resources.value else {
        sink.error(
            "wrong-type",
            resources.pos,
            format!("`resources` must be a list, not {}", resources.type_name()),
            None,
        );
        return None;
    };
    let mut fragments = Vec::new();
    for resource in resources {
        if let Some(fragment) = resource_to_spec(resource, &resolver, sink) {
            fragments.push(fragment);
        }
    }
    Some(
        fragments
            .into_iter()
            .fold(Node::new(Value::Map(Vec::new()), pos), crate::merge::merge),
    )
}

/// One resource of the template as a spec fragment.
fn resource_to_spec(resource: &Node, resolver: &Resolver<'_>, sink: &mut Sink<'_>) -> Option<Node> {
    let pos = resource.pos;
    let Some(entries) = resource.as_map() else {
        sink.error(
            "not-a-mapping",
            pos,
            format!("a resource is an object, not {}", resource.type_name()),
            None,
        );
        return None;
    };
    let type_node = resource.get("type");
    let Some(resource_type) = type_node.and_then(Node::as_str) else {
        sink.error("missing-key", pos, "this resource has no `type`", None);
        return None;
    };
    let type_pos = type_node.map_or(pos, |n| n.pos);
    let Some(kind) = kind_of(resource_type).filter(|k| *k != Kind::ResourceGroup) else {
        sink.warning(
            "ignored-resource",
            type_pos,
            format!("`{resource_type}` is not a Data Factory resource adfctl manages: skipped"),
            Some(
                "deploy it with its own template; adfctl reads the factory and its children".into(),
            ),
        );
        return None;
    };
    for (field, _) in entries {
        if ["copy", "condition"].contains(&field.text.as_str()) {
            sink.error(
                "unsupported-arm",
                field.pos,
                format!("`{}` on a resource is not supported", field.text),
                Some(
                    "ADF's publish output never writes it; expand the resources, or write a spec"
                        .into(),
                ),
            );
            return None;
        }
    }
    let mut resolved = resource.clone();
    if let Value::Map(fields) = &mut resolved.value {
        // adfctl orders by the references inside the bodies; ARM's own fields are not the spec's.
        fields.retain(|(k, _)| {
            !["dependsOn", "apiVersion", "comments", "scope"].contains(&k.text.as_str())
        });
    }
    resolver.resolve(&mut resolved, sink);
    let Value::Map(mut fields) = resolved.value else {
        return None;
    };
    let name_at = fields.iter().position(|(k, _)| k.text == "name");
    let Some((name_key, name_node)) = name_at.map(|at| fields.remove(at)) else {
        sink.error("missing-key", pos, "this resource has no `name`", None);
        return None;
    };
    match kind {
        Kind::Factory => {
            let node = Node::new(Value::Map(fields), pos);
            studio::to_spec(StudioFolder::Factory, node, sink)
        }
        _ => {
            let Some(full_name) = name_node.as_str() else {
                // An unresolved expression was reported; anything else is reported here.
                if !matches!(name_node.value, Value::String { .. }) {
                    sink.error(
                        "wrong-type",
                        name_node.pos,
                        format!("`name` must be a string, not {}", name_node.type_name()),
                        None,
                    );
                }
                return None;
            };
            if is_expression(full_name) {
                return None; // Reported by the resolver.
            }
            // `factory/entity`, or `factory/default/endpoint` for a managed private endpoint.
            let Some((_, entity)) = full_name.rsplit_once('/') else {
                sink.error(
                    "arm-name",
                    name_node.pos,
                    format!("`{full_name}` is not `FACTORY/NAME`, as a factory child's name is in a template"),
                    Some("write `[concat(parameters('factoryName'), '/NAME')]`".into()),
                );
                return None;
            };
            let folder = match kind {
                Kind::GlobalParameters => StudioFolder::GlobalParameters,
                kind => StudioFolder::Entity(kind),
            };
            fields.push((
                name_key,
                Node::new(
                    Value::String {
                        text: entity.to_owned(),
                        plain: false,
                    },
                    name_node.pos,
                ),
            ));
            if !fields.iter().any(|(k, _)| k.text == "properties")
                && kind != Kind::ManagedVirtualNetwork
            {
                sink.error(
                    "missing-key",
                    pos,
                    format!("{} `{entity}` has no `properties`", kind.label()),
                    None,
                );
                return None;
            }
            studio::to_spec(folder, Node::new(Value::Map(fields), pos), sink)
        }
    }
}
