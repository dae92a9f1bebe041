//! Takes picked in the Library to act on together: Ctrl/⌘-click (or X)
//! adds or removes one, Shift-click (or Shift+X) picks the run from the last
//! one picked, as file managers do. Pure, so it is tested natively.

/// A take: its job's id and its index among the job's outputs.
pub type TakeRef = (String, usize);

/// The most takes the compare view shows side by side.
pub const MOST_COMPARED: usize = 4;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    picked: Vec<TakeRef>,
    /// Where a Shift-click range starts: the take picked or unpicked last.
    anchor: Option<TakeRef>,
}

impl Selection {
    pub fn len(&self) -> usize {
        self.picked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.picked.is_empty()
    }

    pub fn contains(&self, take: &TakeRef) -> bool {
        self.picked.contains(take)
    }

    pub fn takes(&self) -> &[TakeRef] {
        &self.picked
    }

    /// Adds `take`, or removes it when it is picked already.
    pub fn toggle(&mut self, take: TakeRef) {
        if let Some(at) = self.picked.iter().position(|t| *t == take) {
            self.picked.remove(at);
        } else {
            self.picked.push(take.clone());
        }
        self.anchor = Some(take);
    }

    /// Picks every take from the anchor to `take` in the order shown
    /// (`order`), keeping what was picked before; with no anchor (or one no
    /// longer shown) it picks `take` alone.
    pub fn extend_to(&mut self, take: TakeRef, order: &[TakeRef]) {
        let end = order.iter().position(|t| *t == take);
        let start = self
            .anchor
            .as_ref()
            .and_then(|a| order.iter().position(|t| t == a));
        match (start, end) {
            (Some(start), Some(end)) => {
                let (from, to) = (start.min(end), start.max(end));
                for t in &order[from..=to] {
                    if !self.picked.contains(t) {
                        self.picked.push(t.clone());
                    }
                }
            }
            _ => {
                if !self.picked.contains(&take) {
                    self.picked.push(take.clone());
                }
            }
        }
        self.anchor = Some(take);
    }

    /// Drops takes no longer shown (a deleted job, a new search).
    pub fn keep_only(&mut self, order: &[TakeRef]) {
        self.picked.retain(|t| order.contains(t));
        if self.anchor.as_ref().is_some_and(|a| !order.contains(a)) {
            self.anchor = None;
        }
    }

    pub fn clear(&mut self) {
        self.picked.clear();
        self.anchor = None;
    }

    /// The jobs the picked takes belong to, each once, in picking order.
    pub fn jobs(&self) -> Vec<String> {
        let mut jobs: Vec<String> = Vec::new();
        for (job, _) in &self.picked {
            if !jobs.contains(job) {
                jobs.push(job.clone());
            }
        }
        jobs
    }

    /// The compare view's link for the picked takes, or why there is none:
    /// two to four takes of one job.
    pub fn compare_link(&self) -> Result<String, String> {
        let jobs = self.jobs();
        let [job] = jobs.as_slice() else {
            return Err("Compare takes of one job: these come from several".into());
        };
        if !(2..=MOST_COMPARED).contains(&self.picked.len()) {
            return Err(format!(
                "Compare shows 2 to {MOST_COMPARED} takes side by side"
            ));
        }
        let mut takes: Vec<usize> = self.picked.iter().map(|(_, i)| *i).collect();
        takes.sort_unstable();
        let list = takes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        Ok(format!("/compare/{job}?takes={list}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(job: &str, i: usize) -> TakeRef {
        (job.to_string(), i)
    }

    fn order() -> Vec<TakeRef> {
        vec![
            take("a", 0),
            take("a", 1),
            take("b", 0),
            take("c", 0),
            take("c", 1),
        ]
    }

    #[test]
    fn ctrl_click_adds_and_removes_one() {
        let mut s = Selection::default();
        s.toggle(take("a", 1));
        s.toggle(take("c", 0));
        assert_eq!(s.len(), 2);
        s.toggle(take("a", 1));
        assert_eq!(s.takes(), &[take("c", 0)]);
    }

    #[test]
    fn shift_click_picks_the_run_from_the_anchor_either_way() {
        let mut s = Selection::default();
        s.toggle(take("c", 1));
        s.extend_to(take("a", 1), &order());
        assert_eq!(s.len(), 4);
        assert!(!s.contains(&take("a", 0)));
        // With no anchor, Shift-click picks just the one.
        let mut fresh = Selection::default();
        fresh.extend_to(take("b", 0), &order());
        assert_eq!(fresh.takes(), &[take("b", 0)]);
    }

    #[test]
    fn compare_needs_two_to_four_takes_of_one_job() {
        let mut s = Selection::default();
        s.toggle(take("c", 1));
        assert!(s.compare_link().is_err());
        s.toggle(take("c", 0));
        assert_eq!(s.compare_link().as_deref(), Ok("/compare/c?takes=0,1"));
        s.toggle(take("a", 0));
        assert!(s.compare_link().unwrap_err().contains("one job"));
        assert_eq!(s.jobs(), ["c", "a"]);
    }

    #[test]
    fn takes_no_longer_shown_leave_the_selection() {
        let mut s = Selection::default();
        s.toggle(take("a", 0));
        s.toggle(take("b", 0));
        s.keep_only(&[take("b", 0)]);
        assert_eq!(s.takes(), &[take("b", 0)]);
        s.clear();
        assert!(s.is_empty());
    }
}
