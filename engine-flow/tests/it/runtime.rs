//! The bank's new-wealth-customer SOP run by the engine on a virtual clock across 60 days,
//! with a small stand-in for the server: it keeps the timers, runs service steps at once
//! and has the relationship manager complete each task a day after it appears. The
//! maturity date is moved mid-flight.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use engine_flow::{Command, Escalate, Event, Flow, Input, Instance, Status, TaskOrder, parse_flow};
use engine_rule::{Calendars, Context, Record, Value};

use crate::bank::{Bank, bank_crm, folder, read};

/// The holding the process follows, with the related values its expressions read.
struct Holding(BTreeMap<String, Value>);

impl Record for Holding {
    fn value(&self, path: &[String]) -> Value {
        self.0.get(&path.join(".")).cloned().unwrap_or(Value::Null)
    }
}

fn date(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn holding(maturity: &str) -> Holding {
    let text = |s: &str| Value::Text(s.to_owned());
    Holding(BTreeMap::from([
        ("status".to_owned(), text("holding")),
        ("start_date".to_owned(), Value::Date(date("2026-12-01"))),
        ("maturity_date".to_owned(), Value::Date(date(maturity))),
        ("customer.name".to_owned(), text("李伟")),
        ("customer.mobile".to_owned(), text("13700000001")),
        ("customer.birthday".to_owned(), Value::Date(date("1975-12-20"))),
        ("customer.tier".to_owned(), text("hnw")),
        ("customer.relationship_manager.login".to_owned(), text("zhang.min")),
        ("product.name".to_owned(), text("稳享90天")),
    ]))
}

/// The stand-in server: what it was asked to do, on which Shanghai day.
struct Server {
    flow: Flow,
    calendars: Calendars,
    instance: Instance,
    subject: Holding,
    now: DateTime<Utc>,
    timers: BTreeMap<u64, DateTime<Utc>>,
    /// Task token → when the manager completes it.
    tasks: BTreeMap<u64, (DateTime<Utc>, TaskOrder)>,
    log: Vec<String>,
    orders: Vec<TaskOrder>,
}

impl Server {
    fn day(&self) -> String {
        self.now.with_timezone(&Shanghai).format("%Y-%m-%d").to_string()
    }

    fn send(&mut self, event: Event<'_>) {
        let today = self.now.with_timezone(&Shanghai).date_naive();
        let ctx = Context::at(self.now, today).with_calendars(&self.calendars);
        let input = Input { flow: &self.flow, subject: &self.subject, ctx: &ctx };
        let commands = self.instance.handle(&input, event).unwrap_or_else(|e| panic!("{}: {e}", self.day()));
        for command in commands {
            self.carry_out(command);
        }
    }

    fn carry_out(&mut self, command: Command) {
        match command {
            Command::ScheduleTimer { token, due } => match due {
                Some(due) => {
                    self.timers.insert(token, due);
                }
                None => {
                    self.timers.remove(&token);
                }
            },
            Command::CreateTask(order) => {
                self.log.push(format!("{} task {}: {}", self.day(), order.node, order.title));
                self.tasks.insert(order.token, (self.now + Duration::days(1), order.clone()));
                self.orders.push(order);
            }
            Command::RunService { token, node, action } => {
                let action = action.to_json();
                let what = match action["type"].as_str() {
                    Some("create_record") => format!("a {} record: {}", action["form"], action["values"]["summary"]),
                    _ => format!("{} to {}", action["channel"], action["to"]),
                };
                self.log.push(format!("{} {node}: {what}", self.day()));
                self.send(Event::ServiceDone { token });
            }
            Command::Completed => self.log.push(format!("{} completed", self.day())),
            other => panic!("not expected here: {other:?}"),
        }
    }

    /// Moves the clock to the next thing due (a timer, a task the manager completes) and
    /// handles it; false when nothing is left before `until`.
    fn step(&mut self, until: DateTime<Utc>) -> bool {
        let timer = self.timers.iter().map(|(t, due)| (*due, *t, true)).min();
        let task = self.tasks.iter().map(|(t, (at, _))| (*at, *t, false)).min();
        let Some((at, token, is_timer)) = [timer, task].into_iter().flatten().min() else { return false };
        if at > until {
            return false;
        }
        self.now = self.now.max(at);
        if is_timer {
            self.timers.remove(&token);
            self.send(Event::TimerDue { token });
        } else {
            let (_, order) = self.tasks.remove(&token).expect("task");
            let outcome = match order.node.as_str() {
                "call" => Some("reached".to_owned()),
                "present" => Some("accepted".to_owned()),
                _ => None,
            };
            let values = vec![("notes".to_owned(), Value::Text("ok".into()))];
            self.send(Event::TaskCompleted { token, outcome, values, by: "zhang.min".into() });
        }
        true
    }
}

#[test]
fn the_sop_runs_sixty_days_on_a_virtual_clock() {
    let bank = Bank::load();
    let flow = parse_flow(&read(bank_crm().join("flows/01_new_wealth_customer.json")), &bank).expect("valid");
    let calendars: Calendars =
        folder("calendars").iter().map(|c| engine_rule::parse_calendar(c).expect("calendar")).collect();
    let start: DateTime<Utc> = "2026-12-01T02:00:00Z".parse().expect("instant");
    let mut server = Server {
        flow,
        calendars,
        instance: Instance::new(),
        subject: holding("2027-01-20"),
        now: start,
        timers: BTreeMap::new(),
        tasks: BTreeMap::new(),
        log: Vec::new(),
        orders: Vec::new(),
    };
    server.send(Event::Start);
    assert_eq!(server.timers.len(), 3, "three branches, each at its first timer");

    // Until Christmas, then the maturity is moved ten days later.
    while server.step("2026-12-25T02:00:00Z".parse().expect("instant")) {}
    server.now = "2026-12-25T02:00:00Z".parse().expect("instant");
    server.subject = holding("2027-01-30");
    server.send(Event::SubjectChanged);
    while server.step(start + Duration::days(60)) {}

    assert_eq!(
        server.log,
        [
            "2026-12-02 care_sms: \"sms\" to \"13700000001\"",
            "2026-12-08 task call: 回访：李伟 购买 稳享90天",
            "2026-12-09 keep_call_notes: a \"follow_up\" record: \"ok\"",
            "2027-01-15 task prepare: 准备续作方案：李伟（稳享90天 到期 2027-01-30）",
            "2027-01-23 task present: 向 李伟 介绍续作方案",
            "2027-01-24 completed",
        ]
    );
    assert_eq!(server.instance.status, Status::Completed);
    assert!(server.instance.tokens.is_empty());
    assert_eq!(server.instance.outputs["present"]["outcome"].value(), Value::Text("accepted".into()));

    // Prepared within seven days, well before the maturity date.
    let prepare = server.orders.iter().find(|o| o.node == "prepare").expect("prepare");
    let local = |t: DateTime<Utc>| t.with_timezone(&Shanghai).format("%Y-%m-%d %H:%M").to_string();
    assert_eq!(prepare.due.map(local).as_deref(), Some("2027-01-22 09:00"));

    // The call: due two business days later, reminded then, escalated two more after.
    let call = server.orders.iter().find(|o| o.node == "call").expect("call");
    let shanghai = |t: DateTime<Utc>| t.with_timezone(&Shanghai).format("%Y-%m-%d %H:%M").to_string();
    assert_eq!(call.assignee.as_deref(), Some("zhang.min"));
    assert_eq!(call.due.map(shanghai).as_deref(), Some("2026-12-10 10:00"));
    let escalations: Vec<(String, Escalate)> =
        call.escalations.iter().map(|(t, e)| (shanghai(*t), e.clone())).collect();
    assert_eq!(
        escalations,
        [("2026-12-10 10:00".into(), Escalate::Remind), ("2026-12-14 10:00".into(), Escalate::ToManager)]
    );
}

#[test]
fn a_cancelled_instance_withdraws_its_timers_and_tasks() {
    let bank = Bank::load();
    let flow = parse_flow(&read(bank_crm().join("flows/01_new_wealth_customer.json")), &bank).expect("valid");
    let now: DateTime<Utc> = "2026-12-01T02:00:00Z".parse().expect("instant");
    let ctx = Context::at(now, date("2026-12-01"));
    let subject = holding("2027-01-20");
    let input = Input { flow: &flow, subject: &subject, ctx: &ctx };
    let mut instance = Instance::new();
    instance.handle(&input, Event::Start).expect("started");
    let saved = serde_json::to_string(&instance).expect("the state serializes");
    let mut instance: Instance = serde_json::from_str(&saved).expect("and reads back");
    let commands = instance.handle(&input, Event::Cancel).expect("cancelled");
    assert_eq!(commands.len(), 3, "{commands:?}");
    assert!(commands.iter().all(|c| matches!(c, Command::CancelTimer { .. })));
    assert_eq!(instance.status, Status::Cancelled);
    assert!(instance.handle(&input, Event::TimerDue { token: 3 }).is_err(), "a cancelled instance takes no events");
}
