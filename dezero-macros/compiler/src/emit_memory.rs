//! Code generation for what a model says and does about its memory: the
//! bytes a batch row takes in each plan (which size the row blocks of the
//! passes), the public `workspace_bytes` and `release_memory`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{dz, lit, nested_call, Compiled};
use crate::emit_step::slot_sizes;
use crate::ir::LayerKind;
use crate::plan::Slots;
use crate::program::{Mode, Program, Step};

/// The bytes of workspace a batch row takes in program `p`: its slots
/// and, for each nested model it calls, that model's own (for its split
/// pass, or its inference plan in the inference program).
fn row_bytes(c: &Compiled, p: &Program, slots: &Slots) -> TokenStream {
    let sizes = slot_sizes(slots, p);
    let inference = p.mode == Mode::Predict;
    let mut seen = Vec::new();
    let nested = p.steps.iter().filter_map(|s| match *s {
        Step::Nested { layer, .. } if !seen.contains(&layer.0) => {
            seen.push(layer.0);
            let ci = lit(c.shapes.layer_in[layer.0]);
            let call = nested_call(
                c.graph.layer(layer),
                "bytes_per_row",
                false,
                quote!(__d[#ci], #inference),
            );
            Some(quote!(+ #call))
        }
        _ => None,
    });
    let nested: Vec<TokenStream> = nested.collect();
    quote!((0 #(+ #sizes)*) * ::core::mem::size_of::<T>() #(#nested)*)
}

/// The inherent methods: `workspace_bytes`, `release_memory`, and each
/// plan's bytes per row (`__train_row_bytes` when the model has a loss,
/// `__predict_row_bytes`, `__split_row_bytes`).
pub(crate) fn emit_memory(c: &Compiled) -> TokenStream {
    let dz = dz();
    let k = lit(c.shapes.classes.len());
    let model = c.model.ident.to_string();
    let train = c.train.as_ref().map(|(p, s)| {
        let b = row_bytes(c, p, s);
        quote! {
            /// Bytes of workspace a batch row takes in the training pass.
            #[allow(unused_variables)]
            fn __train_row_bytes(&self, __d: &[usize; #k]) -> usize {
                #b
            }
        }
    });
    let predict = row_bytes(c, &c.predict.0, &c.predict.1);
    let split = row_bytes(c, &c.split.0, &c.split.1);
    let nested = c.graph.layers.iter().filter_map(|l| match l.kind {
        LayerKind::Nested { .. } => {
            let call = nested_call(l, "release_memory", true, quote!());
            Some(quote!(#call;))
        }
        LayerKind::Linear { .. } => None,
    });
    let bytes_doc = format!(
        "Bytes of memory this `{model}` holds for its passes now (not counting its \
         parameters and their gradients): its workspace, the two-thread split's, and \
         those of the models it nests.\n\n\
         A pass over more rows than one block (`plan()` prints the block's rows; a \
         block's workspace is about `dezero::compiled::block_bytes()`, 4 MiB unless \
         set) runs block by block, so this stays bounded by about one block whatever \
         the batch, plus, after a `predict` of several blocks, its output (freed by \
         the next `predict` of one block). `release_memory()` frees it all."
    );
    let release_doc = format!(
        "Frees the memory this `{model}` holds for its passes (see `workspace_bytes`), \
         and that of the models it nests: after a large batch, to give back what a \
         smaller one does not need. Parameters and their gradients are kept.\n\n\
         The next pass allocates its workspace again (so the first step after this \
         allocates, and the warm steps after that do not)."
    );
    quote! {
        #train

        /// Bytes of workspace a batch row takes in the inference plan.
        #[allow(unused_variables)]
        fn __predict_row_bytes(&self, __d: &[usize; #k]) -> usize {
            #predict
        }

        /// Bytes of workspace a batch row takes in the split pass.
        #[allow(unused_variables)]
        fn __split_row_bytes(&self, __d: &[usize; #k]) -> usize {
            #split
        }

        #[doc = #bytes_doc]
        pub fn workspace_bytes(&self) -> usize {
            #dz::compiled::CompiledModel::<T>::workspace_bytes(self)
        }

        #[doc = #release_doc]
        pub fn release_memory(&mut self) {
            self.__ws.release();
            self.__split.release();
            #(#nested)*
        }
    }
}
