//! Made-up people for the demo: common Danish first and last names combined
//! by the seeded generator. No real person's name from the seed decks is used,
//! and every address ends in `.invalid` (RFC 2606), so no mail can leave.

use std::collections::HashSet;

use super::rng::Rng;

const FIRST_NAMES: &[&str] = &[
    "Anne",
    "Dorte",
    "Kirsten",
    "Hanne",
    "Helle",
    "Lone",
    "Lene",
    "Marianne",
    "Camilla",
    "Louise",
    "Charlotte",
    "Pia",
    "Tina",
    "Maria",
    "Sofie",
    "Line",
    "Julie",
    "Ida",
    "Karen",
    "Birgitte",
    "Ole",
    "Jens",
    "Lars",
    "Michael",
    "Henrik",
    "Søren",
    "Thomas",
    "Jesper",
    "Niels",
    "Morten",
    "Anders",
    "Emil",
    "Jonas",
    "Jan",
    "Christian",
    "Mads",
    "Frederik",
    "Kasper",
    "Jakob",
    "Mikkel",
];

const LAST_NAMES: &[&str] = &[
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Christiansen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Knudsen",
    "Jakobsen",
    "Mikkelsen",
    "Olesen",
    "Frederiksen",
    "Laursen",
    "Henriksen",
    "Lund",
    "Schmidt",
    "Eriksen",
    "Holm",
    "Kristiansen",
    "Clausen",
    "Simonsen",
    "Svendsen",
    "Andreasen",
    "Iversen",
    "Jeppesen",
    "Mogensen",
    "Vestergaard",
];

/// Hands out distinct made-up names, the same ones in every run.
#[derive(Debug)]
pub struct NameGenerator {
    rng: Rng,
    used: HashSet<String>,
}

impl NameGenerator {
    pub fn new(key: &str) -> Self {
        Self {
            rng: Rng::from_key(key),
            used: HashSet::new(),
        }
    }

    /// A name not handed out before. With 1,600 combinations and a few
    /// hundred people needed, a free one is found in a few tries; past the
    /// combinations, a middle initial keeps names distinct.
    pub fn next_name(&mut self) -> String {
        for _ in 0..64 {
            let name = format!(
                "{} {}",
                self.rng.pick(FIRST_NAMES),
                self.rng.pick(LAST_NAMES)
            );
            if self.used.insert(name.clone()) {
                return name;
            }
        }
        loop {
            let initial = char::from(b'A' + self.rng.below(26) as u8);
            let name = format!(
                "{} {initial}. {}",
                self.rng.pick(FIRST_NAMES),
                self.rng.pick(LAST_NAMES)
            );
            if self.used.insert(name.clone()) {
                return name;
            }
        }
    }
}

/// The demo address of a user: never deliverable.
pub fn demo_email(username: &str) -> String {
    format!("{username}@demo.udrul.invalid")
}
