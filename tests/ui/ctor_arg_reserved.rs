use dezero::prelude::*;

model! {
    struct Net(in_size: usize, hidden: usize, rng: usize, __out: usize) {
        l1: Linear(in_size, hidden),
        l2: Linear(rng),
        l3: Linear(__out),
    }
    fn forward(x) {
        l3(l2(l1(x)))
    }
}

fn main() {
    let mut rng = dezero::random::RandomState::new(0);
    let _ = Net::<f32>::new(1, 10, 10, 1);
    let _ = Net::<f32>::with_rng(1, 10, 10, 1, 1, &mut rng);
}
