//! The LSTM recurrence on autodiff devices: one node in the graph, whose backward pass is the
//! backend's [`lstm_sequence_backward`](RecurrentOps::lstm_sequence_backward).

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend};

use super::ops::RecurrentOps;
use super::portable::composed_saving_and_backward;

/// Hands each tracked parent (`id` reads its node's id) its gradient.
fn register<B: Backend, P, const N: usize>(
    grads: &mut Gradients,
    parents: [Option<P>; N],
    parent_grads: [FloatTensor<B>; N],
    id: impl Fn(&P) -> NodeId,
) {
    for (parent, parent_grad) in parents.into_iter().zip(parent_grads) {
        if let Some(node) = parent {
            grads.register::<B>(id(&node), parent_grad);
        }
    }
}

/// What the backward pass reads, saved by the forward pass.
#[derive(Debug, Clone)]
struct Saved<B: Backend> {
    output: FloatTensor<B>,
    gates: FloatTensor<B>,
    cells: FloatTensor<B>,
    weight_hh: FloatTensor<B>,
    hidden: FloatTensor<B>,
    cell: FloatTensor<B>,
}

#[derive(Debug)]
struct LstmSequenceBackward;

impl<B: Backend + RecurrentOps> Backward<B, 4> for LstmSequenceBackward {
    type State = Saved<B>;

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let saved = ops.state;
        let [projected, weight_hh, hidden, cell] = ops.parents;
        let (projected_grad, weight_grad, hidden_grad, cell_grad) = B::lstm_sequence_backward(
            grad,
            saved.output,
            saved.gates,
            saved.cells,
            saved.weight_hh,
            saved.hidden,
            saved.cell,
            hidden.is_some(),
        );
        register::<B, _, 4>(
            grads,
            [projected, weight_hh, hidden, cell],
            [projected_grad, weight_grad, hidden_grad, cell_grad],
            |node| node.id,
        );
    }
}

/// What the GRU's backward pass reads, saved by its forward pass.
#[derive(Debug, Clone)]
struct GruSaved<B: Backend> {
    output: FloatTensor<B>,
    gates: FloatTensor<B>,
    weight_hh: FloatTensor<B>,
    hidden: FloatTensor<B>,
}

#[derive(Debug)]
struct GruSequenceBackward;

impl<B: Backend + RecurrentOps> Backward<B, 4> for GruSequenceBackward {
    type State = GruSaved<B>;

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let saved = ops.state;
        let [projected, weight_hh, bias_hh, hidden] = ops.parents;
        let (projected_grad, weight_grad, bias_grad, hidden_grad) = B::gru_sequence_backward(
            grad,
            saved.output,
            saved.gates,
            saved.weight_hh,
            saved.hidden,
            hidden.is_some(),
        );
        register::<B, _, 4>(
            grads,
            [projected, weight_hh, bias_hh, hidden],
            [projected_grad, weight_grad, bias_grad, hidden_grad],
            |node| node.id,
        );
    }
}

/// What the RNN's backward pass reads, saved by its forward pass.
#[derive(Debug, Clone)]
struct RnnSaved<B: Backend> {
    output: FloatTensor<B>,
    weight_hh: FloatTensor<B>,
    hidden: FloatTensor<B>,
}

#[derive(Debug)]
struct RnnSequenceBackward;

impl<B: Backend + RecurrentOps> Backward<B, 3> for RnnSequenceBackward {
    type State = RnnSaved<B>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let saved = ops.state;
        let [projected, weight_hh, hidden] = ops.parents;
        let (projected_grad, weight_grad, hidden_grad) = B::rnn_sequence_backward(
            grad,
            saved.output,
            saved.weight_hh,
            saved.hidden,
            hidden.is_some(),
        );
        register::<B, _, 3>(
            grads,
            [projected, weight_hh, hidden],
            [projected_grad, weight_grad, hidden_grad],
            |node| node.id,
        );
    }
}

/// What the projection's backward pass reads.
#[derive(Debug, Clone)]
struct ProjectionSaved<B: Backend> {
    input: FloatTensor<B>,
    weight: FloatTensor<B>,
}

#[derive(Debug)]
struct InputProjectionBackward;

impl<B: Backend + RecurrentOps> Backward<B, 3> for InputProjectionBackward {
    type State = ProjectionSaved<B>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let saved = ops.state;
        let [input, weight, bias] = ops.parents;
        let (input_grad, weight_grad, bias_grad) =
            super::projection::backward::<B>(grad, saved.input, saved.weight);
        register::<B, _, 3>(
            grads,
            [input, weight, bias],
            [input_grad, weight_grad, bias_grad],
            |node| node.id,
        );
    }
}

impl<B: Backend + RecurrentOps, C: CheckpointStrategy> RecurrentOps for Autodiff<B, C> {
    fn input_projection(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let nodes = [input.node(), weight.node(), bias.node()];
        let input = input.into_primitive();
        let weight = weight.into_primitive();
        let bias = bias.into_primitive();
        match InputProjectionBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let output = B::input_projection(input.clone(), weight.clone(), bias);
                prep.finish(ProjectionSaved { input, weight }, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::input_projection(input, weight, bias)),
        }
    }

    fn rnn_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let nodes = [projected.node(), weight_hh.node(), hidden.node()];
        let projected = projected.into_primitive();
        let weight_hh = weight_hh.into_primitive();
        let hidden = hidden.into_primitive();
        match RnnSequenceBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let output = B::rnn_sequence(projected, weight_hh.clone(), hidden.clone());
                let saved = RnnSaved {
                    output: output.clone(),
                    weight_hh,
                    hidden,
                };
                prep.finish(saved, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::rnn_sequence(projected, weight_hh, hidden)),
        }
    }

    fn gru_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        bias_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let nodes = [
            projected.node(),
            weight_hh.node(),
            bias_hh.node(),
            hidden.node(),
        ];
        let projected = projected.into_primitive();
        let weight_hh = weight_hh.into_primitive();
        let bias_hh = bias_hh.into_primitive();
        let hidden = hidden.into_primitive();
        match GruSequenceBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (output, gates) =
                    B::gru_sequence_saving(projected, weight_hh.clone(), bias_hh, hidden.clone());
                let saved = GruSaved {
                    output: output.clone(),
                    gates,
                    weight_hh,
                    hidden,
                };
                prep.finish(saved, output)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(B::gru_sequence(projected, weight_hh, bias_hh, hidden))
            }
        }
    }

    fn lstm_sequence(
        projected: FloatTensor<Self>,
        weight_hh: FloatTensor<Self>,
        hidden: FloatTensor<Self>,
        cell: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let nodes = [
            projected.node(),
            weight_hh.node(),
            hidden.node(),
            cell.node(),
        ];
        let projected = projected.into_primitive();
        let weight_hh = weight_hh.into_primitive();
        let hidden = hidden.into_primitive();
        let cell = cell.into_primitive();
        match LstmSequenceBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (output, gates, cells) = B::lstm_sequence_saving(
                    projected,
                    weight_hh.clone(),
                    hidden.clone(),
                    cell.clone(),
                );
                let saved = Saved {
                    output: output.clone(),
                    gates,
                    cells,
                    weight_hh,
                    hidden,
                    cell,
                };
                prep.finish(saved, output)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(B::lstm_sequence(projected, weight_hh, hidden, cell))
            }
        }
    }

    // The saving forwards and the backward passes are what the nodes above call on the inner
    // backend; called on the autodiff backend itself, they run the composed equations, whose
    // own operations autodiff records.
    composed_saving_and_backward!();
}
