//! The HTTP API routes of `infra/template.yaml`, read by plain string
//! matching (the template keeps one `HttpApi` event per line), and which
//! function each route reaches — what API Gateway does with a request.

// Each test binary uses part of it.
#![allow(dead_code)]

use hims_esign::http::Function;

/// One `Type: HttpApi` event of a function in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The resource's logical id without `Function` (`Agreements`, `Verify`, …).
    pub resource: String,
    pub method: String,
    /// As written: `/v1/agreements/{id}`, `/assets/{proxy+}`.
    pub path: String,
}

impl Route {
    /// The function whose Router serves this route, when the resource is one of them.
    pub fn function(&self) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|f| format!("{f:?}") == self.resource)
    }

    /// API Gateway's route key: `GET /v1/agreements/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether a concrete path matches: `{name}` takes one segment, a greedy
    /// `{name+}` the rest (at least one segment).
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if !self.method.eq_ignore_ascii_case(method) {
            return false;
        }
        let mut wanted = self.path.trim_start_matches('/').split('/');
        let mut given = path.trim_start_matches('/').split('/');
        loop {
            match (wanted.next(), given.next()) {
                (None, None) => return true,
                (Some(w), Some(g)) if is_greedy(w) => return !g.is_empty(),
                (Some(w), Some(g)) if is_param(w) => {
                    if g.is_empty() {
                        return false;
                    }
                }
                (Some(w), Some(g)) if w == g => {}
                _ => return false,
            }
        }
    }
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

fn is_greedy(segment: &str) -> bool {
    is_param(segment) && segment.ends_with("+}")
}

/// A path with every parameter name dropped (`/v1/agreements/{}`; greedy
/// parameters as `{+}`), so the template's and the routers' spellings compare.
pub fn shape(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            s if is_greedy(s) || s.starts_with("{*") => "{+}",
            s if is_param(s) => "{}",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub fn template_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/infra/template.yaml");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `HttpApi` event of every `AWS::Serverless::Function` resource.
pub fn http_routes(template: &str) -> Vec<Route> {
    let mut routes = Vec::new();
    let mut resource: Option<String> = None;
    for line in template.lines() {
        // A resource header: two spaces of indent, `Name:` and nothing else.
        if let Some(name) = line
            .strip_prefix("  ")
            .filter(|rest| !rest.starts_with(' '))
            .and_then(|rest| rest.strip_suffix(':'))
        {
            resource = name.strip_suffix("Function").map(str::to_owned);
            continue;
        }
        let (Some(resource), true) = (&resource, line.contains("Type: HttpApi")) else {
            continue;
        };
        let field = |name: &str| {
            let start = line.find(&format!("{name}: "))? + name.len() + 2;
            let rest = &line[start..];
            // A quoted value may hold braces (`"/v1/agreements/{id}"`).
            let value: String = match rest.strip_prefix('"') {
                Some(quoted) => quoted.chars().take_while(|c| *c != '"').collect(),
                None => rest
                    .chars()
                    .take_while(|c| !matches!(c, ',' | ' ' | '}'))
                    .collect(),
            };
            Some(value)
        };
        let (Some(method), Some(path)) = (field("Method"), field("Path")) else {
            panic!("an HttpApi event without Method or Path: {line}");
        };
        routes.push(Route {
            resource: resource.clone(),
            method,
            path,
        });
    }
    routes
}

/// The template route a request takes, like API Gateway's route selection
/// (a literal route before a parameterised one).
pub fn route_for<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<&'a Route> {
    let mut candidates: Vec<&Route> = routes.iter().filter(|r| r.matches(method, path)).collect();
    candidates.sort_by_key(|r| r.path.matches('{').count());
    candidates.first().copied()
}
