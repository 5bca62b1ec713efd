//! A dashboard as its metadata declares it (`dashboards/*.json`): a grid of cards, each a
//! report at a place and size, shared parameters that drive every card whose report has
//! a parameter of the same key, where a card's bucket drills to, and who may open it.

use engine_rule::Diagnostic;
use serde::Deserialize;
use serde_json::Value;

/// Columns of a dashboard's grid.
pub const GRID_COLUMNS: u32 = 12;

/// What a click on a card's bucket opens: the report's rows as the record list, filtered
/// to the bucket (the default), or a finer report given the bucket's values as parameters.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drill {
    pub report: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    pub report: String,
    /// Its title, if not the report's label.
    pub label: Option<Value>,
    pub x: u32,
    pub y: u32,
    #[serde(default = "four")]
    pub w: u32,
    #[serde(default = "four")]
    pub h: u32,
    pub drill: Option<Drill>,
}

fn four() -> u32 {
    4
}

/// A filter shown at the top of the dashboard: its value is given to every card whose
/// report has a parameter of this key.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedParameter {
    pub key: String,
    pub label: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    pub key: String,
    pub label: Option<Value>,
    /// The app roles that see it in their menu; none: everyone in the app. Each card is
    /// still computed within the viewer's access.
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub parameters: Vec<SharedParameter>,
    pub cards: Vec<Card>,
}

/// The dashboard in `doc`, or every problem with its shape and grid, each at its JSON path
/// (`at` its own). Whether its reports exist is the app's check.
pub fn parse_dashboard(doc: &Value, at: &str) -> Result<Dashboard, Vec<Diagnostic>> {
    let dashboard: Dashboard = serde_json::from_value(doc.clone())
        .map_err(|e| vec![Diagnostic::new(at.to_owned(), "shape", e.to_string())])?;
    let mut diags = Vec::new();
    for (i, card) in dashboard.cards.iter().enumerate() {
        let here = format!("{at}/cards/{i}");
        if card.w == 0 || card.h == 0 || card.x + card.w > GRID_COLUMNS {
            let message = format!("a card is 1 to {GRID_COLUMNS} columns wide and fits the grid's {GRID_COLUMNS}");
            diags.push(Diagnostic::new(format!("{here}/w"), "off_grid", message));
        }
        let overlaps =
            |o: &Card| o.x < card.x + card.w && card.x < o.x + o.w && o.y < card.y + card.h && card.y < o.y + o.h;
        if let Some(j) = dashboard.cards[..i].iter().position(overlaps) {
            diags.push(Diagnostic::new(here, "overlap", format!("it lies over card {j}")));
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, p) in dashboard.parameters.iter().enumerate() {
        if seen.contains(&p.key.as_str()) {
            let message = format!("two parameters are called `{}`", p.key);
            diags.push(Diagnostic::new(format!("{at}/parameters/{i}/key"), "duplicate", message));
        }
        seen.push(&p.key);
    }
    if diags.is_empty() { Ok(dashboard) } else { Err(diags) }
}
