//! The stub emitted beside compile errors: the struct with its declared
//! fields and the generated API with bodies that never run, so that the
//! user's other code (`Net::new(..)`, `model.l1.w`, `forward_backward`)
//! still type-checks and the only errors shown are the model's own.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::check;
use crate::parse::Model;

/// The stub of `m`'s type.
pub fn stub(m: &Model) -> TokenStream {
    let dz = quote!(::dezero::__private);
    let nd = quote!(#dz::ndarray);
    let (attrs, vis, name, st) = (&m.attrs, &m.vis, &m.ident, &m.struct_token);
    let mut seen: Vec<String> = Vec::new();
    let unique = m.fields.iter().filter(|f| {
        // a duplicate was reported, and so was a `__` name (which could
        // clash with `__ws`); declaring either would add an error
        let n = f.ident.to_string();
        let keep = !seen.contains(&n) && !n.starts_with("__");
        seen.push(n);
        keep
    });
    let fields = unique.map(|f| {
        let ident = &f.ident;
        let ty = if check::is_linear(f) || check::layer_type_mistake(f).is_some() {
            quote!(#dz::Linear<T>)
        } else {
            let ty = &f.ty;
            quote!(#ty<T>)
        };
        quote!(pub #ident: #ty,)
    });
    // Positional names: a duplicate or reserved argument name was reported,
    // and must not clash here; only the types matter to the callers.
    let args: Vec<TokenStream> = check::ctor_args(m)
        .enumerate()
        .map(|(i, a)| {
            let (i, t) = (format_ident!("__a{i}"), &a.ty);
            quote!(#i: #t)
        })
        .collect();
    let (args2, args3) = (&args, &args);
    let arg_types: Vec<&syn::Type> = check::ctor_args(m).map(|a| &a.ty).collect();
    let never = quote!(::core::unreachable!("`model!` failed to compile"));
    quote! {
        #(#attrs)*
        #vis #st #name<T: #dz::Scalar = f32> {
            #(#fields)*
            __ws: #dz::compiled::Workspace<T>,
        }

        #[allow(unused_variables, dead_code, unreachable_code, clippy::all)]
        impl<T: #dz::Scalar> #name<T> {
            /// Stub: the `model!` has errors.
            pub fn new(#(#args),*) -> Self { #never }
            /// Stub: the `model!` has errors.
            pub fn try_new(#(#args),*) -> #dz::Result<Self> { #never }
            /// Stub: the `model!` has errors.
            pub fn with_rng(#(#args2,)* __in_size: usize, __rng: &mut #dz::random::RandomState) -> #dz::Result<Self> { #never }
            #[doc(hidden)]
            pub fn __build(#(#args3,)* __rng: ::core::option::Option<&mut #dz::random::RandomState>) -> #dz::Result<Self> { #never }
            /// Stub: the `model!` has errors.
            pub fn forward_backward<__X, __U>(&mut self, x: __X, t: __U) -> #dz::Result<T> { #never }
            /// Stub: the `model!` has errors.
            pub fn predict<__X>(&mut self, x: __X) -> #dz::Result<#nd::ArrayView2<'_, T>> { #never }
            /// Stub: the `model!` has errors.
            pub fn predict_owned<__X>(&mut self, x: __X) -> #dz::Result<#nd::Array2<T>> { #never }
            /// Stub: the `model!` has errors.
            pub fn predict_into<__X>(&mut self, x: __X, out: &mut #nd::Array2<T>) -> #dz::Result<()> { #never }
            /// Stub: the `model!` has errors.
            pub fn accuracy<__X>(&mut self, x: __X, t: &[usize]) -> #dz::Result<T> { #never }
            /// Stub: the `model!` has errors.
            pub fn try_forward(&self, x: &#dz::Variable<T>) -> #dz::Result<#dz::Variable<T>> { #never }
            /// Stub: the `model!` has errors.
            pub fn plan(&self) -> #dz::compiled::Plans { #never }
            /// Stub: the `model!` has errors.
            pub fn workspace_bytes(&self) -> usize { #never }
            /// Stub: the `model!` has errors.
            pub fn release_memory(&mut self) { #never }
        }

        #[allow(unused_variables, unreachable_code, clippy::all)]
        impl<T: #dz::Scalar> #dz::Layer<T> for #name<T> {
            fn visit_params(&self, v: &mut dyn #dz::ParamVisitor<T>) { #never }
            fn forward(&self, x: &#dz::Variable<T>) -> #dz::Variable<T> { #never }
        }

        #[allow(unused_variables, unreachable_code, clippy::all)]
        impl<T: #dz::Scalar> #dz::compiled::CompiledModel<T> for #name<T> {
            const NAME: &'static str = "";
            fn out_width(&self, in_width: usize) -> #dz::Result<usize> { #never }
            fn init_lazy(&self, in_width: usize, rng: &mut #dz::random::RandomState) -> #dz::Result<()> { #never }
            fn forward_split(&mut self, x: &[T], rows: usize, y: &mut [T]) -> #dz::Result<()> { #never }
            fn backward_split(&mut self, gy: &[T], gx: ::core::option::Option<&mut [T]>, acc: bool, sink: &mut dyn #dz::compiled::GradSink<T>) -> #dz::Result<()> { #never }
            fn predict_rows(&mut self, x: &[T], rows: usize, y: &mut [T]) -> #dz::Result<()> { #never }
            fn share(&self) -> Self { #never }
            fn workspace_bytes(&self) -> usize { #never }
            fn bytes_per_row(&self, in_width: usize, inference: bool) -> usize { #never }
            fn release_memory(&mut self) { #never }
            fn forward_graph(&self, x: &#dz::Variable<T>) -> #dz::Variable<T> { #never }
        }

        #[allow(unused_variables, unreachable_code, clippy::all)]
        impl<T: #dz::Scalar> #dz::compiled::BuildFrom<(#(#arg_types,)*)> for #name<T> {
            fn build_from(args: (#(#arg_types,)*), rng: ::core::option::Option<&mut #dz::random::RandomState>) -> #dz::Result<Self> { #never }
        }

        impl<T: #dz::Scalar> #dz::compiled::HasLoss for #name<T> {
            fn unreachable() -> ::core::convert::Infallible { #never }
        }

        impl<T: #dz::Scalar> #dz::compiled::HasClassTargets for #name<T> {
            fn unreachable() -> ::core::convert::Infallible { #never }
        }
    }
}
